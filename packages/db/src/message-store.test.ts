import { describe, expect, it } from 'vitest'
import { MessageStore } from './message-store.ts'
import { withTestDatabase } from './test-database.ts'

describe('MessageStore', () => {
  it('leases oldest first, acks leases, requeues un-acked ones flagged', () =>
    withTestDatabase((db) => {
      const store = new MessageStore(db.sqlite)
      store.insert('a', ['w'], 'one', 1)
      store.insert('a', ['w'], 'two', 2)
      store.insert('a', ['x'], 'other', 3)
      expect(store.unreadCount('w')).toBe(2)
      expect(store.leaseNext('w', 10)?.body).toBe('one')
      expect(store.ackLeased('w', 11)).toBe(1)
      expect(store.leaseNext('w', 12)?.body).toBe('two')
      expect(store.unreadCount('w')).toBe(0)
      expect(store.leaseNext('w', 13)).toBeUndefined()
      expect(store.requeue('w')).toBe(1) // "two" was leased, not acked
      const again = store.leaseNext('w', 14)
      expect(again).toMatchObject({ body: 'two', redelivered: true })
      expect(store.requeue('x')).toBe(0) // never leased
    }))

  it('counts turn errors per lease, dead-letters at the limit, revives and discards', () =>
    withTestDatabase((db) => {
      const store = new MessageStore(db.sqlite)
      const [poison] = store.insert('a', ['w'], 'poison', 1)
      store.insert('a', ['w'], 'fine', 2)
      for (let attempt = 1; attempt <= 2; attempt++) {
        expect(store.leaseNext('w', 10)?.body).toBe('poison')
        expect(store.failLeased('w', `boom ${attempt}`, 3, 11)).toEqual({ deadLettered: [], requeued: 1 })
      }
      expect(store.leaseNext('w', 12)).toMatchObject({ body: 'poison', attempts: 2, redelivered: true })
      const third = store.failLeased('w', 'boom 3', 3, 13)
      expect(third.requeued).toBe(0)
      expect(third.deadLettered).toMatchObject([{ id: poison?.id, attempts: 3, deadLetteredAt: 13, lastError: 'boom 3' }])
      // Out of the queue: neither requeued at boot nor acked by the next turn.
      expect(store.requeue('w')).toBe(0)
      expect(store.leaseNext('w', 14)?.body).toBe('fine')
      expect(store.ackLeased('w', 15)).toBe(1)
      expect(store.deadLetters(10).map((m) => m.body)).toEqual(['poison'])

      expect(store.reviveDeadLetter(poison?.id ?? -1)).toMatchObject({ attempts: 0, deadLetteredAt: null, deliveredAt: null })
      expect(store.reviveDeadLetter(poison?.id ?? -1)).toBeUndefined() // no longer dead
      expect(store.deadLetters(10)).toEqual([])
      expect(store.leaseNext('w', 16)?.body).toBe('poison')
      store.failLeased('w', 'again', 1, 17)
      expect(store.discardDeadLetter(poison?.id ?? -1)?.body).toBe('poison')
      expect(store.discardDeadLetter(poison?.id ?? -1)).toBeUndefined()
      expect(store.recent(10).map((m) => m.body)).toEqual(['fine'])
    }))

  it('writes a broadcast all-or-nothing and keeps Prisma-compatible timestamps', () =>
    withTestDatabase(async (db) => {
      const store = new MessageStore(db.sqlite)
      const rows = store.insert('manager', ['a', 'b'], 'hello all', 1_700_000_000_000, true)
      expect(rows.map((r) => r.recipient)).toEqual(['a', 'b'])
      expect(rows.every((r) => r.broadcast)).toBe(true)
      const viaPrisma = await db.prisma.message.findMany({ orderBy: { id: 'asc' } })
      expect(viaPrisma[0]?.sentAt.getTime()).toBe(1_700_000_000_000)
      expect(() => store.insert('m', ['a', null as unknown as string], 'x', 1)).toThrow()
      expect(store.recent(10)).toHaveLength(2) // the failed batch left nothing behind
    }))

  it('marks operator mail read one by one or all at once', () =>
    withTestDatabase((db) => {
      const store = new MessageStore(db.sqlite)
      const [first] = store.insert('w', ['operator'], 'done', 1)
      store.insert('w', ['operator'], 'also done', 2)
      expect(store.markRead('operator', 5, first?.id)).toBe(1)
      expect(store.markRead('operator', 5, first?.id)).toBe(0)
      expect(store.unreadCount('operator')).toBe(1)
      expect(store.markRead('operator', 6)).toBe(1)
      expect(store.unreadFor('operator', 10)).toEqual([])
    }))

  it('pages a recipient\'s messages and its unread ones back from an id, newest first', () =>
    withTestDatabase((db) => {
      const store = new MessageStore(db.sqlite)
      const ids = [1, 2, 3, 4, 5].map((i) => store.insert('w', ['operator'], `m${i}`, i)[0]?.id ?? 0)
      store.insert('w', ['someone-else'], 'not theirs', 6)
      store.markRead('operator', 7, ids[1])
      expect(store.recentFor('operator', 2).map((m) => m.body)).toEqual(['m5', 'm4'])
      expect(store.recentFor('operator', 2, ids[3]).map((m) => m.body)).toEqual(['m3', 'm2'])
      expect(store.recentFor('operator', 10, ids[0])).toEqual([])
      expect(store.unreadFor('operator', 10, ids[3]).map((m) => m.body)).toEqual(['m3', 'm1'])
    }))

  it('vacuums acked messages past retention in batches, never unread or leased ones', () =>
    withTestDatabase((db) => {
      const store = new MessageStore(db.sqlite)
      for (let i = 0; i < 5; i++) store.insert('a', ['w'], `old ${i}`, 100 + i)
      for (let i = 0; i < 5; i++) expect(store.leaseNext('w', 200)).toBeDefined()
      store.ackLeased('w', 300) // five acked at t=300
      store.insert('a', ['w'], 'leased, not acked', 310)
      expect(store.leaseNext('w', 320)?.body).toBe('leased, not acked')
      store.insert('a', ['w'], 'unread', 330)
      store.insert('a', ['operator'], 'read by the operator', 340)
      store.markRead('operator', 900)

      let cursor = 0
      let deleted = 0
      for (;;) {
        const batch = store.vacuumBatch(500, cursor, 2)
        if (batch.deleted === 0) break
        expect(batch.deleted).toBeLessThanOrEqual(2)
        deleted += batch.deleted
        cursor = batch.lastId
      }
      expect(deleted).toBe(5)
      expect(store.recent(10).map((m) => m.body)).toEqual(['read by the operator', 'unread', 'leased, not acked'])
      expect(store.vacuumBatch(1000, 0, 10).deleted).toBe(1) // the operator's read mail, acked at 900
    }))
})
