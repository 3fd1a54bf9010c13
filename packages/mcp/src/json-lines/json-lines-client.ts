import { connect, type Socket } from 'node:net'
import { HiveError, HiveErrorCode } from '../protocol/hive-error.ts'
import { describeZodError, responseEnvelopeSchema, type ResponseEnvelope } from '../protocol/envelope.ts'
import type { OpInput, OpOutput, OpTable } from '../protocol/op-spec.ts'
import { Limits } from '../protocol/limits.ts'
import { LineSplitter } from './line-splitter.ts'

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

/**
 * A JSON-lines RPC client for the hive's unix sockets, typed by the socket's operation table.
 * Calls may overlap (a long `recv` and a `send` on one connection); answers are matched by id and
 * parsed with the operation's output schema. Failures arrive as `HiveError`s.
 */
export class JsonLinesClient<T extends OpTable> {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private closedError: HiveError | undefined

  private constructor(
    private readonly socket: Socket,
    private readonly table: T,
  ) {
    const splitter = new LineSplitter(
      Limits.MAX_REPLY_LINE_BYTES,
      (line) => this.onLine(line),
      () => this.breakConnection(new HiveError(HiveErrorCode.Internal, 'daemon sent an oversize line')),
    )
    socket.on('data', (d: Buffer) => splitter.push(d))
    socket.on('error', (e) => this.failAll(new HiveError(HiveErrorCode.Internal, `socket error: ${e.message}`)))
    socket.on('close', () => this.failAll(new HiveError(HiveErrorCode.Internal, 'connection to the daemon closed')))
  }

  static connect<T extends OpTable>(path: string, table: T): Promise<JsonLinesClient<T>> {
    return new Promise((resolve, reject) => {
      const socket = connect(path)
      const onError = (e: NodeJS.ErrnoException) => {
        const hint = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? ' (is `hive serve` running?)' : ''
        reject(new HiveError(HiveErrorCode.Internal, `cannot connect to ${path}: ${e.code ?? e.message}${hint}`))
      }
      socket.once('error', onError)
      socket.once('connect', () => {
        socket.off('error', onError)
        socket.setNoDelay?.(true)
        resolve(new JsonLinesClient(socket, table))
      })
    })
  }

  /** The connection is gone (closed, broken or failed): every call from now on fails. */
  get closed(): boolean {
    return this.closedError !== undefined
  }

  /** Arguments may be left out only for operations that take none (the daemon says which field is missing). */
  async call<K extends keyof T & string>(op: K, args?: OpInput<T, K>): Promise<OpOutput<T, K>> {
    const result = await this.request(op, args ?? {})
    const parsed = this.table[op]?.output.safeParse(result)
    if (!parsed?.success) {
      throw new HiveError(HiveErrorCode.Internal, `the daemon answered ${op} unexpectedly: ${parsed ? describeZodError(parsed.error, 'result') : 'unknown op'}`)
    }
    return parsed.data as OpOutput<T, K>
  }

  /**
   * An unchecked request (tests of how the daemon answers malformed ones). A line over the
   * daemon's limit is refused here: the daemon could only answer it without an id, which fails
   * every call pending on this connection (a parked `recv` with it).
   */
  request(op: string, args: unknown = {}): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError)
    const id = this.nextId++
    const line = JSON.stringify({ id, op, args })
    const bytes = Buffer.byteLength(line, 'utf8')
    if (bytes > Limits.MAX_LINE_BYTES) {
      return Promise.reject(new HiveError(HiveErrorCode.BadRequest, `${op} was not sent: its request is ${bytes} bytes, over the ${Limits.MAX_LINE_BYTES}-byte line limit`))
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.socket.write(line + '\n')
    })
  }

  close(): void {
    this.socket.end()
    this.socket.destroy()
  }

  /** Resolves when the daemon side closes the connection (e.g. the daemon stopped). */
  onClose(listener: () => void): void {
    this.socket.once('close', listener)
  }

  private onLine(line: string): void {
    let envelope: ResponseEnvelope
    try {
      envelope = responseEnvelopeSchema.parse(JSON.parse(line))
    } catch {
      this.breakConnection(new HiveError(HiveErrorCode.Internal, 'daemon sent a malformed response line'))
      return
    }
    if (envelope.id === null) {
      // An error the daemon could not route to a request (e.g. a line it refused as oversize):
      // one of ours is lost, and waiting on it would wedge the caller — fail every pending call.
      const reason = envelope.ok ? 'an answer without an id' : `${envelope.error.code}: ${envelope.error.message}`
      this.failPending(new HiveError(envelope.ok ? HiveErrorCode.Internal : envelope.error.code, `the daemon could not answer a request (${reason})`))
      return
    }
    const waiter = this.pending.get(envelope.id)
    if (!waiter) return
    this.pending.delete(envelope.id)
    if (envelope.ok) waiter.resolve(envelope.result)
    else waiter.reject(new HiveError(envelope.error.code, envelope.error.message))
  }

  /** The daemon broke the protocol: nothing more it says can be trusted, and owners see the close. */
  private breakConnection(error: HiveError): void {
    this.failAll(error)
    this.socket.destroy()
  }

  private failAll(error: HiveError): void {
    this.closedError ??= error
    this.failPending(error)
  }

  private failPending(error: HiveError): void {
    for (const waiter of this.pending.values()) waiter.reject(error)
    this.pending.clear()
  }
}
