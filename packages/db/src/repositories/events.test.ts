import { describe, expect, it } from 'vitest'
import { withTestDatabase } from '../test-database.ts'
import { EventsRepository } from './events.ts'

describe('EventsRepository', () => {
  it('keeps only the newest rows per agent, in order', () =>
    withTestDatabase(async (db) => {
      const events = new EventsRepository(db.prisma, 5)
      for (let i = 0; i < 4; i++) await events.append('w', [{ kind: 'k', payload: { i: i * 2 } }, { kind: 'k', payload: { i: i * 2 + 1 } }])
      await events.append('other', [{ kind: 'k', payload: 1 }])
      const kept = await events.recent('w', 100)
      expect(kept.map((e) => (JSON.parse(e.payloadJson) as { i: number }).i)).toEqual([3, 4, 5, 6, 7])
      expect(await events.recent('other', 100)).toHaveLength(1)
      const after = await events.recent('w', 100, kept[2]?.id)
      expect(after).toHaveLength(2)
    }))
})
