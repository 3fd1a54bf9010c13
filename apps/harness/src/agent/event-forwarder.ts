const Batch = {
  /** ms to gather stream lines before one `turn_events` call: live enough, few round trips. */
  FLUSH_MS: 20,
  MAX_EVENTS: 64,
  /** A stream line above this (a huge tool result) is stored truncated; the turn is unaffected. */
  MAX_PAYLOAD_CHARS: 64 * 1024,
} as const

export interface ForwardedEvent {
  kind: string
  payload: unknown
}

/**
 * Forwards the running turn's stream to the daemon in small ordered batches. `flush()` resolves
 * once everything queued so far has been accepted.
 */
export class EventForwarder {
  private queue: ForwardedEvent[] = []
  private timer: NodeJS.Timeout | undefined
  private chain: Promise<void> = Promise.resolve()

  constructor(
    private readonly send: (events: ForwardedEvent[]) => Promise<unknown>,
    private readonly onError: (e: unknown) => void,
  ) {}

  push(kind: string, payload: unknown): void {
    this.queue.push({ kind, payload: bounded(payload) })
    if (this.queue.length >= Batch.MAX_EVENTS) void this.flush()
    else this.timer ??= setTimeout(() => void this.flush(), Batch.FLUSH_MS)
  }

  flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    const batch = this.queue
    this.queue = []
    if (batch.length > 0) {
      this.chain = this.chain.then(() => this.send(batch).then(() => undefined, this.onError))
    }
    return this.chain
  }
}

function bounded(payload: unknown): unknown {
  const text = JSON.stringify(payload) ?? 'null'
  if (text.length <= Batch.MAX_PAYLOAD_CHARS) return payload
  return { truncated: true, chars: text.length, head: text.slice(0, Batch.MAX_PAYLOAD_CHARS) }
}

/** `assistant`, `user`, `system:init`, `result:success`… — the AgentEvent kind of a stream line. */
export function streamEventKind(json: unknown): string {
  if (typeof json !== 'object' || json === null) return 'unknown'
  const { type, subtype } = json as { type?: unknown; subtype?: unknown }
  const base = typeof type === 'string' ? type : 'unknown'
  return typeof subtype === 'string' ? `${base}:${subtype}` : base
}
