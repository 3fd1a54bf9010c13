import { mkdtempSync, rmSync } from 'node:fs'
import { request, type IncomingHttpHeaders } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NewModelRequest } from '@hive/db'
import { startFakeAnthropic, type FakeAnthropic } from '@hive/testkit'
import type { OperatorCredentials } from '../../adapters/env.ts'
import { ModelGateway } from './model-gateway.ts'

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** One HTTP request over the agent's gateway socket, as the in-container forwarder relays it. */
function viaSocket(socketPath: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => (text += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}

function connectVia(socketPath: string, target: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(socketPath)
    let text = ''
    s.on('data', (d: Buffer) => (text += d.toString()))
    s.on('close', () => resolve(text))
    s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`)
  })
}

const messages = { model: 'claude-haiku-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hello' }] }

describe('ModelGateway', () => {
  let fake: FakeAnthropic
  const dir = mkdtempSync(join(tmpdir(), 'hive-gateway-'))
  const gateways: ModelGateway[] = []
  const log = pino({ level: 'silent' })

  async function gateway(credentials: OperatorCredentials, upstream = fake.url) {
    const records: NewModelRequest[] = []
    const refusals: { target: string; reason: string }[] = []
    const gw = new ModelGateway({
      upstream: new URL(upstream),
      credentials,
      egress: {
        allowed: () => ['203.0.113.9:443', 'localhost:8080', '169.254.169.254:80', '203.0.113.77:22'],
        host: { addresses: () => ['127.0.0.1', '203.0.113.77'] },
        lookup: (host) => Promise.resolve(host === 'localhost' ? [{ address: '127.0.0.1', family: 4 }] : []),
      },
      record: (r) => records.push(r),
      refused: (_agent, target, reason) => refusals.push({ target, reason }),
      log,
    })
    gateways.push(gw)
    const socket = join(dir, `gw-${gateways.length}.sock`)
    await gw.open('worker', socket)
    return { socket, records, refusals }
  }

  beforeAll(async () => {
    fake = await startFakeAnthropic({ defaultText: 'hi from the model' })
  })
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.closeAll()))
    await fake.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('adds the operator key in place of whatever the agent sent, streams SSE through and records the tokens', async () => {
    const { socket, records } = await gateway({ apiKey: 'sk-operator' })
    const answer = await viaSocket(socket, '/v1/messages?beta=true', messages, { 'x-api-key': 'placeholder', authorization: 'Bearer agent-own' })
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toContain('text/event-stream')
    expect(answer.body).toContain('hi from the model')
    const seen = fake.requests.at(-1)
    expect(seen?.auth).toEqual({ apiKey: 'sk-operator', authorization: undefined })
    await expect.poll(() => records.length).toBe(1)
    expect(records[0]).toMatchObject({ agent: 'worker', method: 'POST', path: '/v1/messages', status: 200, error: null })
    expect(records[0]?.model).toMatch(/haiku/)
    expect(records[0]?.tokensIn).toBeGreaterThan(0)
    expect(records[0]?.tokensOut).toBeGreaterThan(0)
  })

  it("passes an agent's own login through when the operator gave no credentials", async () => {
    const { socket } = await gateway({})
    await viaSocket(socket, '/v1/messages', messages, { authorization: 'Bearer agent-own-oauth' })
    expect(fake.requests.at(-1)?.auth).toEqual({ apiKey: undefined, authorization: 'Bearer agent-own-oauth' })
  })

  it('uses an operator OAuth token as a bearer with its beta header', async () => {
    const { socket } = await gateway({ oauthToken: 'oauth-operator' })
    await viaSocket(socket, '/v1/messages', messages, { 'x-api-key': 'placeholder', 'anthropic-beta': 'tools-2024' })
    expect(fake.requests.at(-1)?.auth).toEqual({ apiKey: undefined, authorization: 'Bearer oauth-operator' })
  })

  it('relays only the Messages API (dot segments resolved first), and answers 502 when the upstream is down (recorded)', async () => {
    const { socket } = await gateway({ apiKey: 'k' })
    const before = fake.requests.length
    for (const path of ['/admin/keys', '/v1/../api/oauth/claude_cli/create_api_key', '/v1/%2e%2e/key/generate', '/v1/files', '/v1/messages/batches', '//evil.example/v1/messages']) {
      expect((await viaSocket(socket, path, {})).status, path).toBe(404)
    }
    expect(fake.requests.length).toBe(before)
    const down = await gateway({ apiKey: 'k' }, 'http://127.0.0.1:1')
    const answer = await viaSocket(down.socket, '/v1/messages', messages)
    expect(answer.status).toBe(502)
    expect(answer.body).toContain('model upstream unreachable')
    expect(down.records[0]).toMatchObject({ status: 502, error: expect.stringContaining('upstream unreachable') as string })
  })

  it('refuses CONNECT to unlisted, loopback (even when listed), link-local and unresolvable targets', async () => {
    const { socket, refusals } = await gateway({})
    for (const target of ['example.org:443', 'localhost:8080', '169.254.169.254:80', '203.0.113.9:443x', '203.0.113.10:443']) {
      expect(await connectVia(socket, target), target).toMatch(/^HTTP\/1.1 403 Forbidden/)
    }
    expect(refusals.map((r) => r.target)).toEqual(['example.org:443', 'localhost:8080', '169.254.169.254:80', '203.0.113.10:443'])
    expect(refusals[1]?.reason).toContain('127.0.0.1: loopback')
    expect(refusals[2]?.reason).toContain('link-local')
  })

  it("refuses the host's own addresses on any port, IPv4-mapped included", async () => {
    const { socket, refusals } = await gateway({})
    expect(await connectVia(socket, '203.0.113.77:22')).toMatch(/^HTTP\/1.1 403 Forbidden/)
    expect(refusals[0]?.reason).toContain('this host')
  })

  it('reports at most 20 refusals a minute per agent to the live stream', async () => {
    const { socket, refusals } = await gateway({})
    for (let i = 0; i < 30; i++) await connectVia(socket, 'example.org:443')
    expect(refusals).toHaveLength(20)
  })
})
