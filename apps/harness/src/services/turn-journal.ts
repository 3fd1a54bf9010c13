import type { Logger } from 'pino'
import type { AgentEvent, EventsRepository, NewEvent, NewTurn, Turn, TurnsRepository } from '@hive/db'
import { Limits, MANAGER_NAME, type StreamEventView, type TurnView } from '@hive/mcp'
import { capPayload } from '../domain/capped-payload.ts'
import type { AgentActivity } from './agent-activity.ts'
import type { Broker } from './broker.ts'
import { sendHelperEvent } from './helper-events.ts'
import type { LiveBus } from './live-bus.ts'

export interface TurnJournalDeps {
  turns: TurnsRepository
  events: EventsRepository
  activity: AgentActivity
  broker: Broker
  live: LiveBus
  log: Logger
}

/** What agents' turns did: their live stream (AgentEvents), their records (Turns), their notes. */
export class TurnJournal {
  constructor(private readonly deps: TurnJournalDeps) {}

  started(name: string): void {
    this.deps.activity.set(name, 'thinking')
  }

  /** The agent's loop starts over: a turn it had begun is not running any more. */
  startedOver(name: string): void {
    this.deps.activity.startedOver(name)
  }

  /** The session is being compacted (`/compact` or notes), for the state badge. */
  compacting(name: string, active: boolean): void {
    this.deps.activity.setCompacting(name, active)
  }

  /** Stored as sent, but a payload over its cap (an agent may send anything) is stored truncated. */
  async recordEvents(name: string, events: NewEvent[]): Promise<void> {
    const rows = await this.deps.events.append(
      name,
      events.map((e) => ({ kind: e.kind, payload: capPayload(e.payload, Limits.MAX_EVENT_PAYLOAD_BYTES).payload })),
    )
    for (const row of rows) this.deps.live.publish({ type: 'turn.event', event: toStreamEventView(row) })
  }

  async ended(turn: NewTurn): Promise<void> {
    await this.deps.turns.record(turn)
    this.deps.activity.set(turn.agent, 'idle')
    this.deps.live.publish({ type: 'turn.ended', agent: turn.agent, ok: turn.ok })
  }

  /** The manager hears when a sub-agent's notes were compacted (its own would only wake it). */
  notesCompacted(name: string, bytesBefore: number, bytesAfter: number): void {
    this.deps.log.info({ agent: name, bytesBefore, bytesAfter }, 'notes compacted')
    if (name !== MANAGER_NAME) sendHelperEvent(this.deps, { event: 'notes_compacted', agent: name, bytes_before: bytesBefore, bytes_after: bytesAfter })
  }

  async last(name: string): Promise<TurnView | null> {
    const turn = await this.deps.turns.last(name)
    return turn && toTurnView(turn)
  }

  async recent(name: string, limit: number): Promise<TurnView[]> {
    return (await this.deps.turns.recent(name, limit)).map(toTurnView)
  }

  async stream(name: string, limit: number): Promise<StreamEventView[]> {
    return (await this.deps.events.recent(name, limit)).map(toStreamEventView)
  }
}

function toTurnView(t: Turn): TurnView {
  return {
    id: t.id,
    started_at: t.startedAt.getTime(),
    duration_ms: t.durationMs,
    model: t.model,
    wake_from: t.wakeFrom,
    ok: t.ok,
    error: t.error,
    tokens_in: t.tokensIn,
    tokens_out: t.tokensOut,
    cost_usd: t.costUsd,
  }
}

function toStreamEventView(row: AgentEvent): StreamEventView {
  return { id: row.id, agent: row.agent, ts: row.ts.getTime(), kind: row.kind, payload: JSON.parse(row.payloadJson) as unknown }
}
