import { setTimeout as sleep } from 'node:timers/promises'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { waitOutBusy } from './busy-wait.ts'
import { PrismaClient } from './generated/prisma/client.ts'
import { EventsRepository } from './repositories/events.ts'
import { withTestDatabase } from './test-database.ts'

/** Another process's hold on the write lock, played by a second connection in this one. */
function holdWriteLock(file: string): Database.Database {
  const other = new Database(file)
  other.exec('BEGIN IMMEDIATE')
  return other
}

describe('waitOutBusy', () => {
  it('waits out a write lock in the event loop: the writes finish once it is released', () =>
    withTestDatabase(async (db, file) => {
      const other = holdWriteLock(file)
      const events = new EventsRepository(db.prisma)
      let settled = 0
      // A batch transaction, and a single statement beside it.
      const batch = events.append('w', [{ kind: 'a', payload: 1 }, { kind: 'b', payload: 2 }]).finally(() => settled++)
      const single = db.prisma.agentEvent.create({ data: { agent: 'w', ts: new Date(), kind: 'c', payloadJson: '3' } }).finally(() => settled++)
      // This timer fires only because the waiting writes do not block the event loop.
      await sleep(300)
      expect(settled).toBe(0)
      // The other connection writes too: our transaction had not read yet, so it can still write.
      other.prepare(`INSERT INTO "AgentEvent" ("agent", "ts", "kind", "payloadJson") VALUES ('x', 0, 'other', 'null')`).run()
      other.exec('COMMIT')
      other.close()
      expect((await batch).map((e) => e.kind)).toEqual(['a', 'b'])
      expect((await single).kind).toBe('c')
      expect((await events.recent('w', 10)).map((e) => e.kind).sort()).toEqual(['a', 'b', 'c'])
    }))

  it('fails a statement still refused at its deadline with the busy error', () =>
    withTestDatabase(async (_db, file) => {
      const other = holdWriteLock(file)
      const prisma = new PrismaClient({ adapter: waitOutBusy(new PrismaBetterSqlite3({ url: file, timeout: 0 }), 100) })
      try {
        await expect(prisma.$executeRawUnsafe(`INSERT INTO "AgentEvent" ("agent", "ts", "kind", "payloadJson") VALUES ('w', 0, 'k', 'null')`)).rejects.toThrow(
          /SocketTimeout|busy|locked/i,
        )
        other.exec('ROLLBACK')
        expect(await prisma.$executeRawUnsafe(`INSERT INTO "AgentEvent" ("agent", "ts", "kind", "payloadJson") VALUES ('w', 0, 'k', 'null')`)).toBe(1)
      } finally {
        other.close()
        await prisma.$disconnect()
      }
    }))
})
