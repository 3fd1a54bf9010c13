import { EventEmitter, once } from 'node:events'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import * as z from 'zod'
import { responseEnvelopeSchema, type ResponseEnvelope } from '../protocol/envelope.ts'
import { HiveError, HiveErrorCode } from '../protocol/hive-error.ts'
import { Limits } from '../protocol/limits.ts'
import { op } from '../protocol/op-spec.ts'
import { JsonLinesClient } from './json-lines-client.ts'
import { JsonLinesServer, type RequestHandler, type ServerLog } from './json-lines-server.ts'
import { LineSplitter } from './line-splitter.ts'

/** The operations the test handlers answer. */
const testOps = {
  echo: op(z.object({ text: z.string() }), z.object({ text: z.string() })),
  slow: op(z.object({}), z.object({ done: z.literal(true) })),
  fast: op(z.object({}), z.object({ done: z.literal(true) })),
  park: op(z.object({}), z.null()),
  fail: op(z.object({}), z.null()),
  lie: op(z.object({}), z.object({ count: z.number() })),
}

function silentLog() {
  return { debug: vi.fn<ServerLog['debug']>(), error: vi.fn<ServerLog['error']>() } satisfies ServerLog
}

/** A promise with its resolver, for handlers the test releases by hand. */
function gate<T = void>() {
  let open!: (value: T) => void
  const opened = new Promise<T>((resolve) => (open = resolve))
  return { open, opened }
}

/** Echoes `text`; every other op answers null. Tests pass their own handler when they need more. */
const echoHandler: RequestHandler = (op, args) => Promise.resolve(op === 'echo' ? { text: testOps.echo.input.parse(args).text } : null)

async function startServer(handler: RequestHandler = echoHandler, mode = 0o600) {
  const dir = mkdtempSync(join(tmpdir(), 'hive-jsonl-'))
  const path = join(dir, 'test.sock')
  const log = silentLog()
  const server = await JsonLinesServer.listen(path, mode, handler, log)
  onTestFinished(async () => {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { server, path, log }
}

async function connectClient(path: string) {
  const client = await JsonLinesClient.connect(path, testOps)
  onTestFinished(() => client.close())
  return client
}

/** A connection that writes raw lines and reads every response envelope, in arrival order. */
async function connectRaw(path: string) {
  const socket = connect(path)
  onTestFinished(() => {
    socket.destroy()
  })
  await once(socket, 'connect')
  const replies: ResponseEnvelope[] = []
  const arrivals = new EventEmitter<{ reply: [] }>()
  const splitter = new LineSplitter(
    Limits.MAX_LINE_BYTES,
    (line) => {
      replies.push(responseEnvelopeSchema.parse(JSON.parse(line)))
      arrivals.emit('reply')
    },
    () => expect.fail('the server sent an oversize line'),
  )
  socket.on('data', (d: Buffer) => splitter.push(d))
  return {
    socket,
    send: (line: string) => socket.write(line + '\n'),
    /** The next `n` replies. */
    async take(n: number): Promise<ResponseEnvelope[]> {
      while (replies.length < n) await once(arrivals, 'reply')
      return replies.splice(0, n)
    },
  }
}

describe('JsonLinesServer', () => {
  it('answers every line by id, malformed ones included', async () => {
    const { path } = await startServer()
    const raw = await connectRaw(path)

    raw.send('{"id": 1, "op": "echo", "args": {"text": "hi"}') // truncated JSON
    raw.send(JSON.stringify({ id: 7, op: '' })) // id readable, op invalid
    raw.send(JSON.stringify({ id: 1.5, op: 'echo' })) // id itself invalid
    raw.send(JSON.stringify({ id: 8, op: 'echo', args: { text: 'hi' } }))

    const replies = await raw.take(4)
    expect(replies).toHaveLength(4)
    expect(replies).toEqual(
      expect.arrayContaining([
        { id: null, ok: false, error: { code: HiveErrorCode.BadRequest, message: 'malformed JSON line' } },
        { id: 7, ok: false, error: { code: HiveErrorCode.BadRequest, message: expect.stringMatching(/^malformed request: op: /) as string } },
        { id: null, ok: false, error: { code: HiveErrorCode.BadRequest, message: expect.stringMatching(/^malformed request: id: /) as string } },
        { id: 8, ok: true, result: { text: 'hi' } },
      ]),
    )
  })

  it('refuses an oversize line and keeps serving the same connection', async () => {
    const { path } = await startServer()
    const raw = await connectRaw(path)

    raw.send(JSON.stringify({ id: 1, op: 'echo', args: { text: 'x'.repeat(Limits.MAX_LINE_BYTES) } }))
    const [refusal] = await raw.take(1)
    expect(refusal).toEqual({ id: null, ok: false, error: { code: HiveErrorCode.BadRequest, message: expect.stringContaining(`${Limits.MAX_LINE_BYTES} bytes`) as string } })

    raw.send(JSON.stringify({ id: 2, op: 'echo', args: { text: 'still here' } }))
    expect(await raw.take(1)).toEqual([{ id: 2, ok: true, result: { text: 'still here' } }])
    expect(raw.socket.destroyed).toBe(false)
  })

  it('runs calls on one connection concurrently', async () => {
    const slowEntered = gate()
    const releaseSlow = gate()
    const { path } = await startServer(async (op) => {
      if (op === 'slow') {
        slowEntered.open()
        await releaseSlow.opened
      }
      return { done: true }
    })
    const client = await connectClient(path)

    let slowDone = false
    const slow = client.call('slow').finally(() => (slowDone = true))
    await slowEntered.opened
    // Resolves while `slow` is still parked in its handler: calls are not serialized.
    expect(await client.call('fast')).toEqual({ done: true })
    expect(slowDone).toBe(false)

    releaseSlow.open()
    expect(await slow).toEqual({ done: true })
  })

  it('passes a HiveError through with its code and message', async () => {
    const { path, log } = await startServer(() => Promise.reject(new HiveError(HiveErrorCode.NotFound, 'no agent named ghost')))
    const client = await connectClient(path)

    const error = await client.call('fail').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HiveError)
    expect(error).toMatchObject({ code: HiveErrorCode.NotFound, message: 'no agent named ghost' })
    expect(log.error).not.toHaveBeenCalled()
  })

  it('turns a plain Error into INTERNAL without leaking its message', async () => {
    const bug = new Error('ENOENT: /var/lib/hive/secret.key')
    const { path, log } = await startServer(() => Promise.reject(bug))
    const client = await connectClient(path)

    const error = await client.call('fail').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HiveError)
    // The reply names the op only; the cause (and the path in it) stays in the daemon log.
    expect(error).toMatchObject({ code: HiveErrorCode.Internal, message: 'internal error in fail (see the daemon log)' })
    expect(log.error).toHaveBeenCalledWith({ err: bug, op: 'fail' }, expect.any(String))
  })

  it('aborts the handler signal when the client disconnects', async () => {
    const parked = gate<AbortSignal>()
    const { path } = await startServer((_op, _args, { signal }) => {
      parked.open(signal)
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(null), { once: true }))
    })
    const client = await connectClient(path)

    const call = client.call('park').catch((e: unknown) => e)
    const signal = await parked.opened
    expect(signal.aborted).toBe(false)
    client.close()

    if (!signal.aborted) await once(signal, 'abort')
    expect(signal.aborted).toBe(true)
    expect(await call).toMatchObject({ code: HiveErrorCode.Internal, message: 'connection to the daemon closed' })
  })

  it('creates the socket with the requested mode and removes it on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hive-jsonl-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, 'admin.sock')
    writeFileSync(path, 'left by a crashed daemon')

    const server = await JsonLinesServer.listen(path, 0o600, echoHandler, silentLog())
    expect(statSync(path).isSocket()).toBe(true)
    expect(statSync(path).mode & 0o777).toBe(0o600)

    await server.close()
    expect(existsSync(path)).toBe(false)
    await expect(JsonLinesClient.connect(path, testOps)).rejects.toMatchObject({ code: HiveErrorCode.Internal })
  })

  it('answers a result too large for one reply line with an error by id, and keeps the connection', async () => {
    const { path, log } = await startServer((op) => Promise.resolve(op === 'echo' ? { text: 'x'.repeat(Limits.MAX_REPLY_LINE_BYTES) } : { done: true }))
    const client = await connectClient(path)

    const error = await client.call('echo', { text: 'big' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HiveError)
    expect(error).toMatchObject({ code: HiveErrorCode.Internal, message: expect.stringContaining(`over the ${Limits.MAX_REPLY_LINE_BYTES}-byte reply limit`) as string })
    expect(log.error).toHaveBeenCalledWith(expect.objectContaining({ id: 1 }), expect.any(String))
    expect(await client.call('fast')).toEqual({ done: true })
  })

  it('lets the typed client reject a result that does not match the output schema', async () => {
    const { path } = await startServer(() => Promise.resolve({ count: 'three' }))
    const client = await connectClient(path)

    const error = await client.call('lie').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HiveError)
    expect(error).toMatchObject({ code: HiveErrorCode.Internal, message: expect.stringContaining('result.count') as string })
    // The raw answer did arrive; only the typed call refuses it.
    expect(await client.request('lie')).toEqual({ count: 'three' })
  })
})
