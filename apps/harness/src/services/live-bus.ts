import type { Activity, MessageView, StreamEventView } from '@hive/mcp'
import { EventEmitter } from 'node:events'

/** Everything the dashboard follows live. */
export type LiveEvent =
  | { type: 'message.sent'; message: MessageView }
  | { type: 'message.delivered'; message: MessageView }
  | { type: 'message.read'; recipient: string }
  | { type: 'agents.changed' }
  | { type: 'agent.activity'; agent: string; activity: Activity; since: number; retry_at: number | null }
  | { type: 'turn.event'; event: StreamEventView }
  | { type: 'turn.ended'; agent: string; ok: boolean }
  | { type: 'questions.changed' }
  | { type: 'question.asked'; id: number; asker: string; question: string }
  | { type: 'approvals.changed' }
  | { type: 'dead_letters.changed' }
  | { type: 'approval.requested'; id: number; kind: 'spawn' | 'apply_commit'; agent: string }

export interface SequencedEvent {
  seq: number
  event: LiveEvent
}

/** What a follower receives: the next event, or `resync` (take a new snapshot, then carry on after `seq`). */
export type LiveItem = (SequencedEvent & { resync: false }) | { seq: number; resync: true }

/** Bounds on what the bus keeps in memory, in events and in bytes of event JSON. */
export interface LiveBusLimits {
  /** Events kept for clients that reconnect; older gaps make them take a new snapshot. */
  ringSize: number
  /** The same ring in bytes: a turn event carries up to 64 KiB, so 2000 of them could be 128 MiB. */
  ringBytes: number
  /** How far one follower may fall behind before its backlog is dropped and it resyncs. */
  followerBytes: number
}

const DEFAULT_LIMITS: LiveBusLimits = {
  ringSize: 2000,
  ringBytes: 8 * 1024 * 1024,
  followerBytes: 4 * 1024 * 1024,
}

interface Measured {
  entry: SequencedEvent
  bytes: number
}

/**
 * The daemon's single ordered stream of live events. Every event gets the next sequence number;
 * a snapshot carries the number it was taken at, so a client applies only events after it.
 * Memory is bounded by bytes: the replay ring, and each follower's queue (a follower that stops
 * reading loses its backlog and is told to resync instead of growing the daemon).
 */
export class LiveBus {
  private seq = 0
  private readonly ring: Measured[] = []
  private ringBytes = 0
  private readonly emitter = new EventEmitter<{ event: [SequencedEvent, number] }>()
  private readonly limits: LiveBusLimits

  constructor(limits: Partial<LiveBusLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits }
    this.emitter.setMaxListeners(0)
  }

  get current(): number {
    return this.seq
  }

  publish(event: LiveEvent): number {
    const entry = { seq: ++this.seq, event }
    const bytes = Buffer.byteLength(JSON.stringify(event), 'utf8')
    this.ring.push({ entry, bytes })
    this.ringBytes += bytes
    while (this.ring.length > 0 && (this.ring.length > this.limits.ringSize || this.ringBytes > this.limits.ringBytes)) {
      this.ringBytes -= this.ring.shift()?.bytes ?? 0
    }
    this.emitter.emit('event', entry, bytes)
    return entry.seq
  }

  /** Events after `seq`, or undefined when some of them are no longer kept. */
  since(seq: number): SequencedEvent[] | undefined {
    // Ahead of us: the client counted in a previous daemon's life, so it must take a snapshot.
    if (seq > this.seq) return undefined
    if (seq === this.seq) return []
    const first = this.ring[0]
    if (!first || first.entry.seq > seq + 1) return undefined
    return this.ring.slice(seq + 1 - first.entry.seq).map((m) => m.entry)
  }

  /** `bytes` is the event's JSON size, for listeners that bound what they hold. */
  subscribe(listener: (e: SequencedEvent, bytes: number) => void): () => void {
    this.emitter.on('event', listener)
    return () => this.emitter.off('event', listener)
  }

  /**
   * Every event after `after`, in order, until `signal` aborts. When the gap is no longer kept,
   * or this follower fell more than `followerBytes` behind (a stalled connection), it gets one
   * `resync` item at the current position instead of the events it missed.
   */
  async *follow(after: number, signal?: AbortSignal): AsyncGenerator<LiveItem, void, undefined> {
    let queue: Measured[] = []
    let queuedBytes = 0
    let overflowed = false
    let wake: (() => void) | undefined
    // Subscribe before reading the backlog so nothing falls between the two.
    const unsubscribe = this.subscribe((entry, bytes) => {
      if (queuedBytes + bytes > this.limits.followerBytes) {
        queue = []
        queuedBytes = 0
        overflowed = true
      } else {
        queue.push({ entry, bytes })
        queuedBytes += bytes
      }
      wake?.()
    })
    try {
      let last = after
      const backlog = this.since(after)
      if (backlog === undefined) overflowed = true
      else {
        for (const e of backlog) {
          last = e.seq
          yield { ...e, resync: false }
          if (overflowed) break
        }
      }
      while (!signal?.aborted) {
        if (overflowed) {
          overflowed = false
          last = this.seq
          yield { seq: last, resync: true }
          continue
        }
        const next = queue.shift()
        if (next) {
          queuedBytes -= next.bytes
          if (next.entry.seq > last) {
            last = next.entry.seq
            yield { ...next.entry, resync: false }
          }
          continue
        }
        await new Promise<void>((resolve) => {
          const done = () => {
            signal?.removeEventListener('abort', done)
            wake = undefined
            resolve()
          }
          wake = done
          signal?.addEventListener('abort', done, { once: true })
        })
      }
    } finally {
      unsubscribe()
    }
  }
}
