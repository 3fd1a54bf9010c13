import { describe, expect, it } from 'vitest'
import { onTurnContaining } from '@hive/testkit'
import { useHive } from './support/hive-fixture.ts'
import { connectAdmin } from './support/sockets.ts'

/**
 * Invariant: a name re-used after `destroy --purge` starts clean. The first `scout` runs a real
 * turn (the CLI against the fake model) and mails the operator, then is stopped with one message
 * still unread; after the purge a new `scout` has no inbox, turns, stream or settings of the old
 * one, while the operator keeps the old one's mail under a name no agent can have.
 */
describe('purge frees the name', () => {
  const { daemon } = useHive({
    agents: ['scout'],
    scripts: [
      onTurnContaining('scout', 'first life', [
        { toolUse: { name: 'mcp__hyperhive__send', input: { to: 'operator', body: 'the first scout reporting' } } },
        { text: 'Reported.' },
      ]),
    ],
  })

  it('leaves a new agent of the same name nothing of the old one', async () => {
    const admin = await connectAdmin(daemon.home)
    try {
      expect((await daemon.cli('send', 'scout', 'first life: report to the operator')).code).toBe(0)
      await expect.poll(async () => (await admin.call('turns', { name: 'scout' })).length, { timeout: 120_000, interval: 250 }).toBeGreaterThan(0)
      expect((await admin.call('stream', { name: 'scout' })).length).toBeGreaterThan(0)
      expect((await daemon.cli('model', 'scout', 'sonnet')).code).toBe(0)
      expect((await daemon.cli('kill', 'scout')).code).toBe(0)
      expect((await daemon.cli('send', 'scout', 'never read by the first scout')).code).toBe(0)
      expect((await admin.call('agent', { name: 'scout' })).agent.unread).toBe(1)

      const purged = await daemon.cli('destroy', 'scout', '--purge')
      expect(purged.code, purged.stderr).toBe(0)
      const spawned = await daemon.cli('spawn', 'scout')
      expect(spawned.code, spawned.stderr).toBe(0)

      const detail = await admin.call('agent', { name: 'scout' })
      expect(detail.inbox).toEqual([])
      expect(detail.agent.unread).toBe(0)
      expect(detail.last_turn).toBeNull()
      expect(detail.model.override).toBeNull()
      expect(await admin.call('turns', { name: 'scout' })).toEqual([])
      expect(await admin.call('stream', { name: 'scout' })).toEqual([])
      expect((await admin.call('recent_messages', { limit: 500 })).filter((m) => m.to === 'scout' || m.from === 'scout')).toEqual([])

      const mail = (await admin.call('inbox', {})).messages.filter((m) => m.body === 'the first scout reporting')
      expect(mail.map((m) => m.from)).toEqual([expect.stringMatching(/^scout#purged-\d{4}-\d\d-\d\dT/)])
      // A reply to the old scout cannot reach the new one.
      const reply = await daemon.cli('send', mail[0]?.from ?? '', 'are you there?')
      expect(reply.code).toBe(1)
      expect(reply.stderr).toContain('args.to')
    } finally {
      admin.close()
    }
  })
})
