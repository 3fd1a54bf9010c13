import type { FailedLeases, StoredMessage } from '@hive/db'
import { helperEventSchema, MANAGER_NAME, SYSTEM } from '@hive/mcp'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { LiveBus, type LiveEvent } from './live-bus.ts'
import { FailurePolicy, TurnFailures } from './turn-failures.ts'

const stored = (id: number, recipient: string, attempts: number): StoredMessage => ({
  id,
  sender: 'alice',
  recipient,
  body: 'do the thing',
  sentAt: 1,
  deliveredAt: 2,
  ackedAt: null,
  redelivered: true,
  broadcast: false,
  attempts,
  deadLetteredAt: 3,
  lastError: 'claude exited 1: boom',
})

function setup(deadLettered: StoredMessage[] = []) {
  let now = 10_000
  const sent: { from: string; to: string[]; body: string }[] = []
  const calls: string[] = []
  const activity: { agent: string; state: string; retryAt: number | undefined }[] = []
  const live = new LiveBus()
  const events: LiveEvent[] = []
  live.subscribe((e) => events.push(e.event))
  const failures = new TurnFailures({
    broker: {
      requeue: (r) => {
        calls.push(`requeue ${r}`)
        return Promise.resolve(1)
      },
      failLeased: (r, error, max): Promise<FailedLeases> => {
        calls.push(`fail ${r} ${error} ${max}`)
        return Promise.resolve({ deadLettered, requeued: deadLettered.length ? 0 : 1 })
      },
      send: (from, to, body) => {
        sent.push({ from, to, body })
        return Promise.resolve([])
      },
    },
    activity: { set: (agent, state, retryAt) => activity.push({ agent, state, retryAt }) },
    live,
    log: pino({ level: 'silent' }),
    now: () => now,
  })
  return { failures, sent, calls, activity, events, advance: (ms: number) => (now += ms), now: () => now }
}

describe('TurnFailures', () => {
  it('keeps the message through an outage and backs off exponentially up to the cap', async () => {
    const { failures, calls, activity } = setup()
    const delays: number[] = []
    for (let i = 0; i < 8; i++) delays.push((await failures.report('w', { failure: 'model_unavailable', error: 'API Error: 529', apiStatus: 529 })).retryInMs)
    expect(delays).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000])
    expect(calls.every((c) => c === 'requeue w')).toBe(true) // never an attempt against the message
    expect(activity.at(-1)).toMatchObject({ agent: 'w', state: 'model-down', retryAt: 10_000 + 60_000 })
    failures.recovered('w')
    expect((await failures.report('w', { failure: 'model_unavailable', error: 'x', apiStatus: 503 })).retryInMs).toBe(2_000)
  })

  it('shows a rate limit as such and honours the upstream retry-after', async () => {
    const { failures, activity, advance } = setup()
    failures.upstreamRetryAfter('w', 45_000)
    advance(5_000)
    expect((await failures.report('w', { failure: 'model_unavailable', error: 'API Error: 429', apiStatus: 429 })).retryInMs).toBe(40_000)
    expect(activity.at(-1)?.state).toBe('rate-limited')
    // An absurd retry-after is capped.
    failures.upstreamRetryAfter('w', 30 * 24 * 3600_000)
    expect((await failures.report('w', { failure: 'model_unavailable', error: 'x', apiStatus: 429 })).retryInMs).toBe(FailurePolicy.RETRY_AFTER_CAP_MS)
  })

  it('parks a missing login for a minute without touching the message', async () => {
    const { failures, calls, activity } = setup()
    expect(await failures.report('w', { failure: 'needs_login', error: 'Invalid API key', apiStatus: 401 })).toEqual({
      requeued: 1,
      deadLettered: [],
      retryInMs: FailurePolicy.NEEDS_LOGIN_BACKOFF_MS,
    })
    expect(calls).toEqual(['requeue w'])
    expect(activity.at(-1)?.state).toBe('needs-login')
  })

  it('counts a turn error against the message and announces a dead letter to the manager', async () => {
    const { failures, calls, sent, events } = setup([stored(7, 'w', 3)])
    expect(await failures.report('w', { failure: 'turn_error', error: 'boom' })).toEqual({ requeued: 0, deadLettered: [7], retryInMs: FailurePolicy.TURN_ERROR_BACKOFF_MS })
    expect(calls).toEqual([`fail w boom ${FailurePolicy.DEAD_LETTER_AFTER}`])
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({ from: SYSTEM, to: [MANAGER_NAME] })
    expect(helperEventSchema.parse(JSON.parse(sent[0]?.body ?? ''))).toEqual({
      event: 'message_dead_lettered',
      id: 7,
      agent: 'w',
      from: 'alice',
      attempts: 3,
      error: 'claude exited 1: boom',
    })
    expect(events).toContainEqual({ type: 'dead_letters.changed' })
  })

  it("does not wake a failing manager about its own dead letters", async () => {
    const { failures, sent, events } = setup([stored(8, MANAGER_NAME, 3)])
    await failures.report(MANAGER_NAME, { failure: 'turn_error', error: 'boom' })
    expect(sent).toEqual([])
    expect(events).toContainEqual({ type: 'dead_letters.changed' })
  })
})
