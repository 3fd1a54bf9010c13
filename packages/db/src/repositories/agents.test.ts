import { describe, expect, it } from 'vitest'
import { MessageStore } from '../message-store.ts'
import { withTestDatabase } from '../test-database.ts'
import { AgentsRepository } from './agents.ts'
import { ApprovalsRepository } from './approvals.ts'
import { EventsRepository } from './events.ts'
import { ModelRequestsRepository } from './model-requests.ts'
import { SettingsRepository } from './settings.ts'
import { TurnsRepository } from './turns.ts'

const turn = (agent: string) => ({
  agent,
  startedAt: new Date(1),
  endedAt: new Date(2),
  durationMs: 1,
  model: 'haiku',
  wakeFrom: 'operator',
  ok: true,
  error: null,
  tokensIn: 1,
  tokensOut: 1,
  tokensCacheRead: 0,
  tokensCacheWrite: 0,
  costUsd: 0,
})

const request = (agent: string) => ({
  agent,
  ts: new Date(1),
  method: 'POST',
  path: '/v1/messages',
  model: 'haiku',
  status: 200,
  durationMs: 1,
  tokensIn: 1,
  tokensOut: 1,
  tokensCacheRead: 0,
  tokensCacheWrite: 0,
  error: null,
})

describe('AgentsRepository.purge', () => {
  it("leaves a new agent of the same name nothing of the old one's, and the others' rows as they were", () =>
    withTestDatabase(async (db) => {
      const agents = new AgentsRepository(db.prisma)
      const store = new MessageStore(db.sqlite)
      const turns = new TurnsRepository(db.prisma)
      const events = new EventsRepository(db.prisma)
      const requests = new ModelRequestsRepository(db.prisma)
      const approvals = new ApprovalsRepository(db.prisma)
      const settings = new SettingsRepository(db.prisma)
      for (const name of ['x', 'other']) {
        await agents.create({ name, role: 'agent', runtime: 'process' })
        await turns.record(turn(name))
        await events.append(name, [{ kind: 'assistant', payload: { name } }])
        await requests.record(request(name))
      }
      await settings.setModel('x', 'sonnet', 'operator')
      store.insert('operator', ['x'], 'read me', 1)
      store.leaseNext('x', 2)
      store.insert('other', ['x', 'other'], 'to both', 3, true)
      const [sent] = store.insert('x', ['other'], 'from the old x', 4)
      const spawned = await approvals.create({ kind: 'spawn', agent: 'x', description: null })
      await approvals.resolve(spawned.id, 'approved', null)
      const commit = await approvals.create({ kind: 'apply_commit', agent: 'x', description: null, commitRef: 'HEAD', sha: 'a'.repeat(40) })
      const respawn = await approvals.create({ kind: 'spawn', agent: 'x', description: 'again' })

      const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5))
      expect(await agents.purge('x', at)).toEqual({ inbox: 2, sent: 1, turns: 1, events: 1, modelRequests: 1, approvals: 2 })

      await agents.create({ name: 'x', role: 'agent', runtime: 'process' })
      expect(store.recentFor('x', 10)).toEqual([])
      expect(store.unreadCount('x')).toBe(0)
      expect(await turns.recent('x', 10)).toEqual([])
      expect(await events.recent('x', 10)).toEqual([])
      expect(await requests.recent('x', 10)).toEqual([])
      expect(await settings.get('x')).toBeNull()

      // The other agent's mail from the old x is still there, under a name no agent can have.
      expect(store.recentFor('other', 10).map((m) => [m.sender, m.body])).toEqual([
        ['x#purged-2026-01-02T03:04:05.000Z', 'from the old x'],
        ['other', 'to both'],
      ])
      expect(store.recentFor('other', 10)[0]?.id).toBe(sent?.id)
      expect(await turns.recent('other', 10)).toHaveLength(1)
      expect(await events.recent('other', 10)).toHaveLength(1)
      expect(await requests.recent('other', 10)).toHaveLength(1)

      // The old x's commit cannot apply to the new one; a pending request for the name stays.
      expect(await approvals.get(commit.id)).toMatchObject({ status: 'failed', note: 'the agent was purged', agent: 'x#purged-2026-01-02T03:04:05.000Z' })
      expect(await approvals.get(spawned.id)).toMatchObject({ status: 'approved', agent: 'x#purged-2026-01-02T03:04:05.000Z' })
      expect((await approvals.pending()).map((a) => [a.id, a.agent])).toEqual([[respawn.id, 'x']])
    }))
})
