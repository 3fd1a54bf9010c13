import { describe, expect, it } from 'vitest'
import { withTestDatabase } from '../test-database.ts'
import { OperatorSessionsRepository } from './operator-sessions.ts'

describe('OperatorSessionsRepository', () => {
  it('creates, touches, prunes idle sessions and deletes them all', () =>
    withTestDatabase(async (db) => {
      const sessions = new OperatorSessionsRepository(db.prisma)
      await sessions.create('old', new Date(1_000))
      await sessions.create('new', new Date(5_000))
      expect(await sessions.find('old')).toEqual({ idHash: 'old', createdAt: new Date(1_000), lastSeenAt: new Date(1_000) })

      expect(await sessions.touch('old', new Date(9_000))).toBe(true)
      expect(await sessions.touch('ghost', new Date(9_000))).toBe(false)
      expect(await sessions.find('old')).toMatchObject({ createdAt: new Date(1_000), lastSeenAt: new Date(9_000) })

      expect(await sessions.deleteIdleSince(new Date(6_000))).toBe(1)
      expect(await sessions.find('new')).toBeNull()
      expect(await sessions.delete('ghost')).toBe(false)

      await sessions.create('another', new Date(9_500))
      expect(await sessions.deleteAll()).toBe(2)
      expect(await sessions.find('old')).toBeNull()
    }))
})
