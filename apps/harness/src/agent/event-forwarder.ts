import { Limits } from '@hive/mcp'
import { capPayload } from '../domain/capped-payload.ts'

const Batch = {
  /** ms to gather stream lines before one `turn_events` call: live enough, few round trips. */
  FLUSH_MS: 20,
  /** Events per call, under the op's own bound (256). */
  MAX_EVENTS: 64,
  /**
   * Bytes of event JSON per call: half the daemon's line limit, so the envelope always fits. A
   * batch over the line limit is answered without an id (#13): three CJK tool results made one.
   */
  MAX_BYTES: Limits.MAX_LINE_BYTES / 2,
  /** The daemon's bound on a kind, in chars. */
  MAX_KIND_CHARS: 64,
} as const

/** `{"kind":` `,"payload":` `}` around each event, and the comma between two. */
const EVENT_FRAME_BYTES = '{"kind":,"payload":},'.length

export interface ForwardedEvent {
  kind: string
  payload: unknown
}

interface Queued {
  event: ForwardedEvent
  bytes: number
}

/**
 * Forwards the running turn's stream to the daemon in small ordered batches, each measured in
 * bytes so that no call is ever too large for the socket; a payload over its cap is sent
 * truncated, with a marker. `flush()` resolves once everything queued so far has been accepted.
 */
export class EventForwarder {
  private queue: Queued[] = []
  private queuedBytes = 0
  private timer: NodeJS.Timeout | undefined
  private chain: Promise<void> = Promise.resolve()

  constructor(
    private readonly send: (events: ForwardedEvent[]) => Promise<unknown>,
    private readonly onError: (e: unknown) => void,
  ) {}

  push(kind: string, payload: unknown): void {
    const capped = capPayload(payload, Limits.MAX_EVENT_PAYLOAD_BYTES)
    const event = { kind: kind.slice(0, Batch.MAX_KIND_CHARS), payload: capped.payload }
    const bytes = capped.bytes + Buffer.byteLength(JSON.stringify(event.kind), 'utf8') + EVENT_FRAME_BYTES
    this.queue.push({ event, bytes })
    this.queuedBytes += bytes
    if (this.queue.length >= Batch.MAX_EVENTS || this.queuedBytes >= Batch.MAX_BYTES) void this.flush()
    else this.timer ??= setTimeout(() => void this.flush(), Batch.FLUSH_MS)
  }

  flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    for (const batch of this.takeBatches()) {
      this.chain = this.chain.then(() => this.send(batch).then(() => undefined, this.onError))
    }
    return this.chain
  }

  /** The queue cut, in order, into calls within both the event and the byte bound. */
  private takeBatches(): ForwardedEvent[][] {
    const batches: ForwardedEvent[][] = []
    let batch: ForwardedEvent[] = []
    let bytes = 0
    for (const queued of this.queue) {
      if (batch.length > 0 && (batch.length >= Batch.MAX_EVENTS || bytes + queued.bytes > Batch.MAX_BYTES)) {
        batches.push(batch)
        batch = []
        bytes = 0
      }
      batch.push(queued.event)
      bytes += queued.bytes
    }
    if (batch.length > 0) batches.push(batch)
    this.queue = []
    this.queuedBytes = 0
    return batches
  }
}

/** `assistant`, `user`, `system:init`, `result:success`… — the AgentEvent kind of a stream line. */
export function streamEventKind(json: unknown): string {
  if (typeof json !== 'object' || json === null) return 'unknown'
  const { type, subtype } = json as { type?: unknown; subtype?: unknown }
  const base = typeof type === 'string' ? type : 'unknown'
  return typeof subtype === 'string' ? `${base}:${subtype}` : base
}
