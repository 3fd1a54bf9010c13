import { chmod, rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { describeZodError, requestEnvelopeSchema, type ResponseEnvelope } from '../protocol/envelope.ts'
import { HiveErrorCode, isHiveError } from '../protocol/hive-error.ts'
import { Limits } from '../protocol/limits.ts'
import { LineSplitter } from './line-splitter.ts'

/** The part of a pino logger the server uses (this package does not depend on pino). */
export interface ServerLog {
  debug(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** Aborted when the peer disconnects, so parked calls (a long `recv`) stop waiting. */
export interface CallContext {
  signal: AbortSignal
}

export type RequestHandler = (op: string, args: Record<string, unknown>, ctx: CallContext) => Promise<unknown>

/**
 * A unix-socket server speaking the hive's JSON-lines RPC. Every line is answered, malformed ones
 * included; calls on one connection run concurrently and answer by id. A bad line never closes
 * the server or affects other connections.
 */
export class JsonLinesServer {
  private readonly sockets = new Set<Socket>()

  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  static async listen(path: string, mode: number, handler: RequestHandler, log: ServerLog): Promise<JsonLinesServer> {
    // A socket file left by a crashed daemon would make listen() fail with EADDRINUSE.
    await rm(path, { force: true })
    const server = createServer()
    const instance = new JsonLinesServer(server, path)
    server.on('connection', (socket) => instance.accept(socket, handler, log))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(path, () => {
        server.off('error', reject)
        resolve()
      })
    })
    await chmod(path, mode)
    return instance
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
    await rm(this.path, { force: true })
  }

  private accept(socket: Socket, handler: RequestHandler, log: ServerLog): void {
    this.sockets.add(socket)
    const abort = new AbortController()
    const reply = (envelope: ResponseEnvelope) => {
      if (socket.destroyed) return
      const line = JSON.stringify(envelope)
      const bytes = Buffer.byteLength(line, 'utf8')
      if (bytes <= Limits.MAX_REPLY_LINE_BYTES || envelope.id === null) {
        socket.write(line + '\n')
        return
      }
      // The client would drop it and lose the connection: fail this call alone, by its id.
      log.error({ bytes, id: envelope.id }, 'answer too large for one line was refused')
      const message = `the answer is ${bytes} bytes, over the ${Limits.MAX_REPLY_LINE_BYTES}-byte reply limit: ask for fewer items`
      socket.write(JSON.stringify({ id: envelope.id, ok: false, error: { code: HiveErrorCode.Internal, message } }) + '\n')
    }
    const fail = (id: number | null, code: HiveErrorCode, message: string) =>
      reply({ id, ok: false, error: { code, message } })

    const splitter = new LineSplitter(
      Limits.MAX_LINE_BYTES,
      (line) => void this.handleLine(line, handler, { signal: abort.signal }, reply, fail, log),
      () => fail(null, HiveErrorCode.BadRequest, `request line longer than ${Limits.MAX_LINE_BYTES} bytes was dropped`),
    )
    socket.on('data', (d: Buffer) => splitter.push(d))
    socket.on('error', (e) => log.debug({ err: e }, 'socket connection error'))
    socket.on('close', () => {
      abort.abort()
      this.sockets.delete(socket)
    })
  }

  private async handleLine(
    line: string,
    handler: RequestHandler,
    ctx: CallContext,
    reply: (e: ResponseEnvelope) => void,
    fail: (id: number | null, code: HiveErrorCode, message: string) => void,
    log: ServerLog,
  ): Promise<void> {
    let raw: unknown
    try {
      raw = JSON.parse(line)
    } catch {
      fail(null, HiveErrorCode.BadRequest, 'malformed JSON line')
      return
    }
    const parsed = requestEnvelopeSchema.safeParse(raw)
    if (!parsed.success) {
      const id = typeof raw === 'object' && raw !== null && 'id' in raw && Number.isInteger(raw.id) ? (raw.id as number) : null
      fail(id, HiveErrorCode.BadRequest, `malformed request: ${describeZodError(parsed.error)}`)
      return
    }
    const { id, op, args } = parsed.data
    try {
      const result = await handler(op, args ?? {}, ctx)
      reply({ id, ok: true, result: result ?? null })
    } catch (e) {
      if (isHiveError(e)) {
        fail(id, e.code, e.message)
      } else {
        log.error({ err: e, op }, 'request failed unexpectedly')
        fail(id, HiveErrorCode.Internal, `internal error in ${op} (see the daemon log)`)
      }
    }
  }
}
