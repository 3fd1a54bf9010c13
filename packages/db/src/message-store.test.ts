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
})
