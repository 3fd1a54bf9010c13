import pino from 'pino'
import { describe, expect, it } from 'vitest'
import type { AgentEvent, EventsRepository, NewEvent, TurnsRepository } from '@hive/db'
import { Limits } from '@hive/mcp'
import type { TruncatedPayload } from '../domain/capped-payload.ts'
import { AgentActivity } from './agent-activity.ts'
import type { Broker } from './broker.ts'
import { LiveBus, type LiveEvent } from './live-bus.ts'
import { TurnJournal } from './turn-journal.ts'

/** Stores what it is given as the real repository would (payload as JSON), in memory. */
class InMemoryEvents {
  readonly rows: AgentEvent[] = []

  append(agent: string, events: NewEvent[]): Promise<AgentEvent[]> {
    const added = events.map((e) => ({ id: this.rows.length + 1, agent, ts: new Date(0), kind: e.kind, payloadJson: JSON.stringify(e.payload ?? null) }))
    this.rows.push(...added)
    return Promise.resolve(added)
  }
}

function setup() {
  const live = new LiveBus()
  const published: LiveEvent[] = []
  live.subscribe((e) => published.push(e.event))
  const events = new InMemoryEvents()
  // Only the events seam is reached by recordEvents; the repository class has private members,
  // so the fake is checked against the method the journal calls, then widened.
  const appender: Pick<EventsRepository, 'append'> = events
  const journal = new TurnJournal({
    events: appender as EventsRepository,
    turns: {} as TurnsRepository,
    broker: {} as Broker,
    activity: new AgentActivity(live),
    live,
    log: pino({ level: 'silent' }),
  })
  return { journal, events, published }
}

describe('TurnJournal.recordEvents', () => {
  it('stores a payload over its byte cap truncated, with a marker, and publishes what it stored', async () => {
    const { journal, events, published } = setup()
    const hostile = { type: 'user', content: '字'.repeat(200_000) } // 600 KB, from an agent that ignores the cap
    await journal.recordEvents('worker', [
      { kind: 'user', payload: hostile },
      { kind: 'assistant', payload: { type: 'assistant', text: 'fine' } },
    ])

    const [big, small] = events.rows
    expect(Buffer.byteLength(big?.payloadJson ?? '', 'utf8')).toBeLessThanOrEqual(Limits.MAX_EVENT_PAYLOAD_BYTES)
    const marker = JSON.parse(big?.payloadJson ?? 'null') as TruncatedPayload
    expect(marker).toMatchObject({ truncated: true, bytes: Buffer.byteLength(JSON.stringify(hostile), 'utf8') })
    expect(marker.head.startsWith('{"type":"user","content":"字字')).toBe(true)
    expect(JSON.parse(small?.payloadJson ?? 'null')).toEqual({ type: 'assistant', text: 'fine' })

    const streamed = published.flatMap((e) => (e.type === 'turn.event' ? [e.event.payload] : []))
    expect(streamed).toEqual([marker, { type: 'assistant', text: 'fine' }])
  })
})
