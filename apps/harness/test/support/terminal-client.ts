import WebSocket from 'ws'

/**
 * A terminal viewer for tests: collects output bytes, acks them (optionally slowly, like a busy
 * browser), and can wait for text to appear.
 */
export class TerminalClient {
  readonly controls: Record<string, unknown>[] = []
  /** All output so far in one growing buffer (doubling), so reads never re-copy the history. */
  private store = Buffer.alloc(1 << 16)
  private received = 0
  private acked = 0
  /** Largest (received − acked) seen: must stay near the server's high watermark. */
  maxInFlight = 0
  private waiters = new Set<() => void>()
  closed: { code: number; reason: string } | undefined

  private constructor(
    readonly ws: WebSocket,
    private readonly ackDelayMs: number,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        this.controls.push(JSON.parse(data.toString()) as Record<string, unknown>)
      } else {
        this.append(data)
        this.maxInFlight = Math.max(this.maxInFlight, this.received - this.acked)
        const ack = () => {
          this.acked += data.length
          if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ack', bytes: data.length }))
        }
        if (this.ackDelayMs > 0) setTimeout(ack, this.ackDelayMs)
        else ack()
      }
      for (const w of [...this.waiters]) w()
    })
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() }
      for (const w of [...this.waiters]) w()
    })
  }

  static open(url: string, headers: Record<string, string>, ackDelayMs = 0): Promise<TerminalClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers })
      const client = new TerminalClient(ws, ackDelayMs)
      ws.once('open', () => resolve(client))
      ws.once('error', reject)
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)))
    })
  }

  private append(data: Buffer): void {
    if (this.received + data.length > this.store.length) {
      const bigger = Buffer.alloc(Math.max(this.store.length * 2, this.received + data.length))
      this.store.copy(bigger, 0, 0, this.received)
      this.store = bigger
    }
    data.copy(this.store, this.received)
    this.received += data.length
  }

  get bytes(): Buffer {
    return this.store.subarray(0, this.received)
  }

  get text(): string {
    return this.bytes.toString('utf8')
  }

  get offset(): number {
    return this.received
  }

  type(text: string): void {
    this.ws.send(Buffer.from(text), { binary: true })
  }

  resize(cols: number, rows: number): void {
    this.ws.send(JSON.stringify({ type: 'resize', cols, rows }))
  }

  /** Resolves once `pattern` occurs after byte offset `from`; returns the offset right after it. */
  waitFor(pattern: string, from = 0, timeoutMs = 30_000): Promise<number> {
    const needle = Buffer.from(pattern)
    let scanned = from
    return new Promise((resolve, reject) => {
      const check = () => {
        // Only look at what arrived since the last check (plus an overlap for a split match).
        const start = Math.max(from, scanned - needle.length + 1)
        const index = this.bytes.indexOf(needle, start)
        scanned = this.received
        if (index >= 0) {
          done()
          resolve(index + needle.length)
        } else if (this.closed) {
          done()
          reject(new Error(`closed (${this.closed.code} ${this.closed.reason}) before ${pattern}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`timed out waiting for ${pattern}; last output: ${JSON.stringify(this.bytes.subarray(-300).toString())}`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
      check()
    })
  }

  close(): void {
    this.ws.close()
  }
}
