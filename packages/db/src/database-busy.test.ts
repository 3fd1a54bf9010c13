import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { isDatabaseBusy } from './database-busy.ts'

/** What `run` threw (undefined if it did not). */
function errorOf(run: () => unknown): unknown {
  try {
    run()
  } catch (e) {
    return e
  }
  return undefined
}

describe('isDatabaseBusy', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('knows SQLITE_BUSY from a database another connection holds, and nothing else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hive-busy-'))
    dirs.push(dir)
    const holder = new Database(join(dir, 'db'))
    holder.exec('CREATE TABLE t (x)')
    const other = new Database(join(dir, 'db'), { timeout: 0 })
    holder.exec('BEGIN IMMEDIATE')
    const busy = errorOf(() => other.exec('INSERT INTO t VALUES (1)'))
    holder.exec('ROLLBACK')
    const notBusy = errorOf(() => other.exec('INSERT INTO nowhere VALUES (1)'))
    holder.close()
    other.close()
    expect(isDatabaseBusy(busy)).toBe(true)
    expect(isDatabaseBusy(notBusy)).toBe(false)
  })

  it("knows Prisma's timed-out operation (P1008, the adapter's SocketTimeout)", () => {
    expect(isDatabaseBusy(Object.assign(new Error('Operations timed out'), { code: 'P1008' }))).toBe(true)
    expect(isDatabaseBusy(new Error('x', { cause: { kind: 'SocketTimeout' } }))).toBe(true)
    expect(isDatabaseBusy(Object.assign(new Error('unique'), { code: 'P2002' }))).toBe(false)
    expect(isDatabaseBusy('SQLITE_BUSY')).toBe(false)
  })
})
