import { describe, expect, it } from 'vitest'
import type { AgentView, InboxMessage } from '@hive/mcp'
import { onTurnContaining } from '@hive/testkit'
import { useHive } from './support/hive-fixture.ts'
import { readHiveDb } from './support/hive-db.ts'

interface MessageRow {
  body: string
  acked: number
  attempts: number
  dead: number
}

/**
 * Acceptance: the real CLI (giving up after one retry) against a model that is down (529) or
 * rate-limits (429 with retry-after) for a while. The agent shows the outage in `hive list`,
 * waits it out by itself, and handles the message afterwards: nothing is used up or dropped.
 */
describe('a model outage never uses up a message', () => {
  const hive = useHive({
    agents: ['worker'],
    env: { CLAUDE_CODE_MAX_RETRIES: '1' },
    scripts: ['529', '429'].map((status) =>
      onTurnContaining(`after ${status}`, `outage ${status}: report when you can`, [
        { toolUse: { name: 'mcp__hyperhive__send', input: { to: 'operator', body: `handled after the ${status} outage` } } },
        { text: 'Reported.' },
      ]),
    ),
  })
  const { daemon } = hive

  const rowsOf = (text: string): MessageRow[] =>
    readHiveDb(
      daemon.home,
      (db) =>
        db
          .prepare(`SELECT body, ackedAt IS NOT NULL AS acked, attempts, deadLetteredAt IS NOT NULL AS dead FROM "Message" WHERE recipient = 'worker' AND body LIKE ?`)
          .all(`%${text}%`) as MessageRow[],
    )

  /** Polls `hive list` until the message is handled, collecting every worker state it showed. */
  async function ride(outage: string, handled: string): Promise<{ states: Set<string>; listed: string[] }> {
    const states = new Set<string>()
    const listed: string[] = []
    await expect
      .poll(
        async () => {
          const agents = await daemon.cliJson<AgentView[]>('list', '--json')
          const worker = agents.find((a) => a.name === 'worker')
          if (worker) states.add(worker.activity)
          if (worker?.activity !== 'idle' && worker?.activity !== 'thinking') listed.push((await daemon.cli('list')).stdout)
          const inbox = await daemon.cliJson<{ messages: InboxMessage[] }>('inbox', '--json')
          return inbox.messages.some((m) => m.body === handled)
        },
        { timeout: 180_000, interval: 500, message: `the message sent during the ${outage} outage was never handled` },
      )
      .toBe(true)
    return { states, listed }
  }

  it('waits out 60 s of 529 Overloaded, showing "model down", then handles the message', async () => {
    hive.fake.outage({ status: 529, type: 'overloaded_error', forMs: 60_000 })
    const started = Date.now()
    expect((await daemon.cli('send', 'worker', 'outage 529: report when you can')).code).toBe(0)

    const { states, listed } = await ride('529', 'handled after the 529 outage')
    expect(Date.now() - started).toBeGreaterThanOrEqual(60_000)
    expect(states).toContain('model-down')
    expect(listed.join('\n')).toMatch(/worker .*model down .*\((retry in \d+[sm]|retrying)\)/)
    expect(hive.fake.requests.filter((r) => r.answer === 'outage 529').length).toBeGreaterThanOrEqual(4)

    // Handled once, acked, never counted against it.
    await expect.poll(() => rowsOf('outage 529'), { timeout: 30_000 }).toEqual([{ body: 'outage 529: report when you can', acked: 1, attempts: 0, dead: 0 }])
    await expect.poll(async () => (await daemon.cliJson<AgentView[]>('list', '--json')).find((a) => a.name === 'worker')?.activity, { timeout: 30_000 }).toBe('idle')
  })

  it('waits out a 429 with retry-after, showing "rate-limited", then handles the message', async () => {
    hive.fake.outage({ status: 429, type: 'rate_limit_error', retryAfterSeconds: 3, forMs: 20_000 })
    expect((await daemon.cli('send', 'worker', 'outage 429: report when you can')).code).toBe(0)

    const { states, listed } = await ride('429', 'handled after the 429 outage')
    expect(states).toContain('rate-limited')
    expect(listed.join('\n')).toMatch(/worker .*rate-limited/)
    await expect.poll(() => rowsOf('outage 429'), { timeout: 30_000 }).toEqual([{ body: 'outage 429: report when you can', acked: 1, attempts: 0, dead: 0 }])
    expect((await daemon.cliJson<unknown[]>('dead-letters', '--json')).length).toBe(0)
  })
})
