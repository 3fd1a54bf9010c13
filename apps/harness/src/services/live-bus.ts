import type { Activity, MessageView, StreamEventView } from '@hive/mcp'
import { EventEmitter } from 'node:events'

/** Everything the dashboard follows live. */
export type LiveEvent =
  | { type: 'message.sent'; message: MessageView }
  | { type: 'message.delivered'; message: MessageView }
  | { type: 'message.read'; recipient: string }
  | { type: 'agents.changed' }
  | { type: 'agent.activity'; agent: string; activity: Activity; since: number }
  | { type: 'turn.event'; event: StreamEventView }
  | { type: 'turn.ended'; agent: string; ok: boolean }
  | { type: 'questions.changed' }
  | { type: 'question.asked'; id: number; asker: string; question: string }
  | { type: 'approvals.changed' }
  | { type: 'approval.requested'; id: number; kind: 'spawn' | 'apply_commit'; agent: string }

export interface SequencedEvent {
  seq: number
  event: LiveEvent
}

const Replay = {
  /** Events kept for clients that reconnect; older gaps make them take a new snapshot. */
  RING_SIZE: 2000,
} as const

/**
 * The daemon's single ordered stream of live events. Every event gets the next sequence number;
 * a snapshot carries the number it was taken at, so a client applies only events after it.
 */
export class LiveBus {
  private seq = 0
  private readonly ring: SequencedEvent[] = []
  private readonly emitter = new EventEmitter<{ event: [SequencedEvent] }>()

  constructor() {
    this.emitter.setMaxListeners(0)
  }

  get current(): number {
    return this.seq
  }

  publish(event: LiveEvent): number {
    const entry = { seq: ++this.seq, event }
    this.ring.push(entry)
    if (this.ring.length > Replay.RING_SIZE) this.ring.shift()
    this.emitter.emit('event', entry)
    return entry.seq
  }

  /** Events after `seq`, or undefined when some of them are no longer kept. */
  since(seq: number): SequencedEvent[] | undefined {
    // Ahead of us: the client counted in a previous daemon's life, so it must take a snapshot.
    if (seq > this.seq) return undefined
    if (seq === this.seq) return []
    const first = this.ring[0]
    if (!first || first.seq > seq + 1) return undefined
    return this.ring.slice(seq + 1 - first.seq)
  }

  subscribe(listener: (e: SequencedEvent) => void): () => void {
    this.emitter.on('event', listener)
    return () => this.emitter.off('event', listener)
  }
}
