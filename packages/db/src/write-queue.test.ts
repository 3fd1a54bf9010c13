import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it, onTestFinished } from 'vitest'
import { WriteQueue, WriteQueueLimits } from './write-queue.ts'

/** A file database with one table; `lock` plays another process taking its write lock. */
function fileDatabase() {
  const dir = mkdtempSync(join(tmpdir(), 'hive-write-queue-'))
  const file = join(dir, 'q.db')
  const db = new Database(file, { timeout: 0 })
  db.pragma('journal_mode = WAL')
  db.exec('CREATE TABLE "T" ("n" INTEGER NOT NULL)')
  const other = new Database(file)
  onTestFinished(() => {
    other.close()
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    insert: db.prepare<[number | null]>('INSERT INTO "T" ("n") VALUES (?)'),
    rows: () => db.prepare<[], { n: number }>('SELECT "n" FROM "T" ORDER BY rowid').all(),
    lock: () => {
      other.exec('BEGIN IMMEDIATE')
      return other
    },
  }
}

describe('WriteQueue', () => {
  it('holds at most MAX_WAITING calls for a busy database, refuses more at once, and runs the held ones in call order', async () => {
    const { insert, rows, lock } = fileDatabase()
    const other = lock()
    const queue = new WriteQueue()
    const held = Array.from({ length: WriteQueueLimits.MAX_WAITING }, (_, n) => queue.run(() => insert.run(n).changes))
    await expect(queue.run(() => insert.run(-1).changes)).rejects.toThrow(`${WriteQueueLimits.MAX_WAITING} writes already wait`)
    other.exec('COMMIT')
    expect(await Promise.all(held)).toEqual(held.map(() => 1))
    expect(rows().map((r) => r.n)).toEqual(held.map((_, n) => n))
  })

  it('passes any other error to its caller alone, without holding up the calls behind it', async () => {
    const { insert, rows, lock } = fileDatabase()
    const queue = new WriteQueue()
    await expect(queue.run(() => insert.run(null))).rejects.toThrow(/NOT NULL/)
    const other = lock()
    const first = queue.run(() => insert.run(1).changes)
    const broken = queue.run(() => insert.run(null))
    const last = queue.run(() => insert.run(2).changes)
    other.exec('COMMIT')
    expect(await first).toBe(1)
    await expect(broken).rejects.toThrow(/NOT NULL/)
    expect(await last).toBe(1)
    expect(rows()).toEqual([{ n: 1 }, { n: 2 }])
  })
})
