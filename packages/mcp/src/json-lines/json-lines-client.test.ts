import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import * as z from 'zod'
import { HiveError, HiveErrorCode } from '../protocol/hive-error.ts'
import { Limits } from '../protocol/limits.ts'
import { op } from '../protocol/op-spec.ts'
import { JsonLinesClient } from './json-lines-client.ts'
import { JsonLinesServer, type ServerLog } from './json-lines-server.ts'
import { LineSplitter } from './line-splitter.ts'

const testOps = {
  echo: op(z.object({ text: z.string() }), z.object({ text: z.string() })),
  park: op(z.object({}), z.null()),
}

interface Request {
  id: number
  op: string
}

function socketPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hive-jsonl-client-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'test.sock')
}

/** A daemon that breaks the rules on purpose: `onRequest` decides what (if anything) to write back. */
async function startFakeDaemon(onRequest: (request: Request, socket: Socket) => void): Promise<string> {
  const path = socketPath()
  const server = createServer((socket) => {
    const splitter = new LineSplitter(Limits.MAX_LINE_BYTES, (line) => onRequest(JSON.parse(line) as Request, socket), () => socket.destroy())
    socket.on('data', (d: Buffer) => splitter.push(d))
    socket.on('error', () => undefined) // the client hanging up mid-test is expected
  })
  server.listen(path)
  await once(server, 'listening')
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return path
}

async function connectClient(path: string) {
  const client = await JsonLinesClient.connect(path, testOps)
  onTestFinished(() => client.close())
  return client
}

const answer = (socket: Socket, envelope: unknown) => socket.write(JSON.stringify(envelope) + '\n')

describe('JsonLinesClient', () => {
  it('refuses a request over the line limit without sending it, leaving the other calls and the connection alone', async () => {
    const seen: string[] = []
    const path = socketPath()
    const log: ServerLog = { debug: vi.fn(), error: vi.fn() }
    const server = await JsonLinesServer.listen(path, 0o600, (opName, args) => {
      seen.push(opName)
      if (opName === 'park') return new Promise(() => undefined)
      return Promise.resolve(args)
    }, log)
    onTestFinished(() => server.close())
    const client = await connectClient(path)

    let parkSettled = false
    const settle = () => (parkSettled = true)
    void client.call('park').then(settle, settle)
    const text = '字'.repeat(Math.ceil(Limits.MAX_LINE_BYTES / 3)) // under the limit in chars, over it in bytes
    const error = await client.call('echo', { text }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(HiveError)
    expect(error).toMatchObject({ code: HiveErrorCode.BadRequest, message: expect.stringContaining(`over the ${Limits.MAX_LINE_BYTES}-byte line limit`) as string })
    expect(await client.call('echo', { text: 'still here' })).toEqual({ text: 'still here' })
    expect(seen).toEqual(['park', 'echo'])
    expect(parkSettled).toBe(false)
  })

  it('fails every pending call when the daemon answers an error it cannot route (id null)', async () => {
    const path = await startFakeDaemon((request, socket) => {
      if (request.op === 'echo') answer(socket, { id: null, ok: false, error: { code: HiveErrorCode.BadRequest, message: 'request line longer than 524288 bytes was dropped' } })
    })
    const client = await connectClient(path)

    const parked = client.call('park').catch((e: unknown) => e)
    const echo = client.call('echo', { text: 'lost' }).catch((e: unknown) => e)
    for (const error of [await parked, await echo]) {
      expect(error).toBeInstanceOf(HiveError)
      expect(error).toMatchObject({ code: HiveErrorCode.BadRequest, message: expect.stringContaining('could not answer a request') as string })
    }
  })

  it('drops the connection when the daemon sends a line over the reply limit', async () => {
    const path = await startFakeDaemon((request, socket) => {
      if (request.op === 'echo') socket.write('x'.repeat(Limits.MAX_REPLY_LINE_BYTES + 1) + '\n')
    })
    const client = await connectClient(path)
    const closed = new Promise<void>((resolve) => client.onClose(resolve))

    const parked = client.call('park').catch((e: unknown) => e)
    const echo = client.call('echo', { text: 'big' }).catch((e: unknown) => e)
    expect(await echo).toMatchObject({ code: HiveErrorCode.Internal, message: 'daemon sent an oversize line' })
    expect(await parked).toMatchObject({ code: HiveErrorCode.Internal, message: 'daemon sent an oversize line' })
    await closed
    await expect(client.call('echo', { text: 'after' })).rejects.toMatchObject({ message: 'daemon sent an oversize line' })
  })
})
