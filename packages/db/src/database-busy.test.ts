import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { isDatabaseBusy } from './database-busy.ts'

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
    let busy: unknown
    try {
      other.exec('INSERT INTO t VALUES (1)')
    } catch (e) {
      busy = e
    }
    holder.exec('ROLLBACK')
    let notBusy: unknown
    try {
      other.exec('INSERT INTO nowhere VALUES (1)')
    } catch (e) {
      notBusy = e
    }
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
