/** Tokens of one Messages API call, as the API reports them. */
export interface MessagesUsage {
  model: string | undefined
  tokensIn: number
  tokensOut: number
  tokensCacheRead: number
  tokensCacheWrite: number
}

const Tap = {
  /** Only `message_start` / `message_delta` lines matter, and they are small; longer lines are skipped. */
  MAX_LINE_BYTES: 64 * 1024,
  /** A non-streamed JSON answer is parsed for its usage up to this size. */
  MAX_JSON_BYTES: 4 * 1024 * 1024,
} as const

interface UsageFields {
  input_tokens?: number
  output_tokens?: number
  cache_read_input_tokens?: number
  cache_creation_input_tokens?: number
}

const count = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined)

/**
 * Reads token usage out of a Messages response while it streams past, without holding it: SSE
 * frames are scanned line by line (`message_start` carries input and cache tokens, the last
 * `message_delta` the output tokens); a plain JSON answer is parsed at the end, capped.
 */
export class UsageTap {
  private readonly usage: MessagesUsage = { model: undefined, tokensIn: 0, tokensOut: 0, tokensCacheRead: 0, tokensCacheWrite: 0 }
  private line: Buffer[] = []
  private lineBytes = 0
  private skipping = false
  private json: Buffer[] = []
  private jsonBytes = 0

  constructor(private readonly kind: 'sse' | 'json' | 'other') {}

  feed(chunk: Buffer): void {
    if (this.kind === 'json') {
      if (this.jsonBytes + chunk.length <= Tap.MAX_JSON_BYTES) this.json.push(chunk)
      this.jsonBytes += chunk.length
      return
    }
    if (this.kind !== 'sse') return
    let start = 0
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.collect(chunk.subarray(start, nl))
      this.endLine()
      start = nl + 1
    }
    if (start < chunk.length) this.collect(chunk.subarray(start))
  }

  /** The usage seen so far (complete once the response ended). */
  result(): MessagesUsage {
    if (this.kind === 'json' && this.jsonBytes <= Tap.MAX_JSON_BYTES && this.json.length) {
      try {
        const body = JSON.parse(Buffer.concat(this.json).toString('utf8')) as { model?: unknown; usage?: UsageFields }
        this.apply(body.usage, typeof body.model === 'string' ? body.model : undefined)
      } catch {
        // Not JSON after all (an error page): no usage to record.
      }
      this.json = []
    }
    return { ...this.usage }
  }

  private collect(part: Buffer): void {
    if (this.skipping) return
    if (this.lineBytes + part.length > Tap.MAX_LINE_BYTES) {
      this.skipping = true
      this.line = []
      return
    }
    this.line.push(part)
    this.lineBytes += part.length
  }

  private endLine(): void {
    const line = this.skipping ? '' : Buffer.concat(this.line, this.lineBytes).toString('utf8')
    this.line = []
    this.lineBytes = 0
    this.skipping = false
    if (!line.startsWith('data:') || !line.includes('"message_')) return
    try {
      const event = JSON.parse(line.slice(5)) as { type?: string; message?: { model?: unknown; usage?: UsageFields }; usage?: UsageFields }
      if (event.type === 'message_start') this.apply(event.message?.usage, typeof event.message?.model === 'string' ? event.message.model : undefined)
      else if (event.type === 'message_delta') this.apply(event.usage, undefined)
    } catch {
      // A malformed frame is the API's problem, not the tap's: nothing to count.
    }
  }

  private apply(usage: UsageFields | undefined, model: string | undefined): void {
    if (model) this.usage.model = model
    if (!usage) return
    this.usage.tokensIn = count(usage.input_tokens) ?? this.usage.tokensIn
    this.usage.tokensOut = count(usage.output_tokens) ?? this.usage.tokensOut
    this.usage.tokensCacheRead = count(usage.cache_read_input_tokens) ?? this.usage.tokensCacheRead
    this.usage.tokensCacheWrite = count(usage.cache_creation_input_tokens) ?? this.usage.tokensCacheWrite
  }
}
