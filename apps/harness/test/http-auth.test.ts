import { request, type IncomingHttpHeaders } from 'node:http'
import { connect } from 'node:net'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import type { HiveDaemon } from './support/hive-daemon.ts'
import { useHive } from './support/hive-fixture.ts'

/** Raw HTTP/1.1 upgrade request (`headers` may override Host); resolves with the server's status line. */
function upgrade(origin: string, path: string, headers: Record<string, string>): Promise<string> {
  const url = new URL(origin)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      const all = {
        Host: url.host,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      }
      const lines = [`GET ${path} HTTP/1.1`, ...Object.entries(all).map(([k, v]) => `${k}: ${v}`)]
      socket.write(lines.join('\r\n') + '\r\n\r\n')
    })
    let data = ''
    socket.on('data', (d: Buffer) => (data += d.toString()))
    socket.on('close', () => resolve(data.split('\r\n')[0] ?? ''))
    socket.on('error', reject)
  })
}

/** A GET through node:http, which (unlike fetch) sends the Host header the test names. */
function getWithHost(origin: string, path: string, host: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  const url = new URL(origin)
  return new Promise((resolve, reject) => {
    const req = request({ hostname: url.hostname, port: url.port, path, headers: { host } }, (res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0, headers: res.headers })
    })
    req.on('error', reject)
    req.end()
  })
}

/** `name=value` of a fresh session: logs in with the daemon's current login URL. */
async function login(daemon: HiveDaemon, url = daemon.loginUrl): Promise<string> {
  const res = await fetch(url, { redirect: 'manual' })
  expect(res.status).toBe(302)
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
}

/** A body streamed in 1 MiB chunks without a Content-Length (chunked); `sent` counts what was pulled. */
function chunkedBody(totalBytes: number): { stream: ReadableStream<Uint8Array>; sent: () => number } {
  const chunk = Buffer.alloc(1024 * 1024, 'x')
  let sent = 0
  function* chunks() {
    while (sent < totalBytes) {
      sent += chunk.length
      yield chunk
    }
  }
  return { stream: Readable.toWeb(Readable.from(chunks())) as ReadableStream<Uint8Array>, sent: () => sent }
}

const FIFTY_MB = 50 * 1024 * 1024

describe('operator auth on every route', () => {
  const { daemon } = useHive()
  const cookie = () => login(daemon)

  it('refuses the API, its subscriptions and terminals without the session', async () => {
    const o = daemon.origin
    expect((await fetch(`${o}/api/trpc/agents.list`)).status).toBe(401)
    expect((await fetch(`${o}/api/trpc/live.events?input=${encodeURIComponent('{"after":0}')}`)).status).toBe(401)
    expect((await fetch(`${o}/api/trpc/messages.send`, { method: 'POST', body: '{"to":"manager","body":"x"}' })).status).toBe(401)
    expect((await fetch(`${o}/pty/manager`)).status).toBe(401)
    expect((await fetch(`${o}/agent?name=manager`)).status).toBe(401)
    expect(await upgrade(o, '/pty/manager', {})).toBe('HTTP/1.1 401 Unauthorized')
    expect(await upgrade(o, '/api/trpc', { Cookie: 'hive_session=forged' })).toBe('HTTP/1.1 401 Unauthorized')
  })

  it('serves the API with the cookie, and refuses cross-site mutations and upgrades', async () => {
    const session = await cookie()
    const o = daemon.origin
    const list = await fetch(`${o}/api/trpc/agents.list`, { headers: { cookie: session } })
    expect(list.status).toBe(200)
    const body = (await list.json()) as { result: { data: { name: string }[] } }
    expect(body.result.data.map((a) => a.name)).toEqual(['manager'])

    const evil = await fetch(`${o}/api/trpc/messages.send`, {
      method: 'POST',
      headers: { cookie: session, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'manager', body: 'pwned' }),
    })
    expect(evil.status).toBe(403)
    expect(await upgrade(o, '/pty/manager', { Cookie: session, Origin: 'https://evil.example' })).toBe('HTTP/1.1 403 Forbidden')

    const inbox = await fetch(`${o}/api/trpc/messages.recent`, { headers: { cookie: session } })
    expect(JSON.stringify(await inbox.json())).not.toContain('pwned')
  })

  it('maps domain errors to tRPC codes with the field named', async () => {
    const session = await cookie()
    const bad = await fetch(`${daemon.origin}/api/trpc/agents.spawn`, {
      method: 'POST',
      headers: { cookie: session, 'content-type': 'application/json', origin: daemon.origin },
      body: JSON.stringify({ name: '../x' }),
    })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(await bad.json())).toContain('agent name must match')
    const missing = await fetch(`${daemon.origin}/api/trpc/agents.get?input=${encodeURIComponent('{"name":"ghost"}')}`, {
      headers: { cookie: session },
    })
    expect(missing.status).toBe(404)
    expect(JSON.stringify(await missing.json())).toContain('no agent named ghost')
  })

  it('sets and clears the model override, and lists turns', async () => {
    const session = await cookie()
    const post = (path: string, body: unknown) =>
      fetch(`${daemon.origin}/api/trpc/${path}`, {
        method: 'POST',
        headers: { cookie: session, 'content-type': 'application/json', origin: daemon.origin },
        body: JSON.stringify(body),
      })
    const get = async (path: string, input: unknown) => {
      const res = await fetch(`${daemon.origin}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: { cookie: session } })
      return ((await res.json()) as { result: { data: unknown } }).result.data
    }
    expect(await get('settings.model', { name: 'manager' })).toEqual({ override: null, effective: 'haiku' })
    expect((await post('settings.setModel', { name: 'manager', model: 'sonnet' })).status).toBe(200)
    expect(await get('settings.model', { name: 'manager' })).toEqual({ override: 'sonnet', effective: 'sonnet' })
    expect((await post('settings.setModel', { name: 'manager', model: null })).status).toBe(200)
    expect(await get('settings.model', { name: 'manager' })).toEqual({ override: null, effective: 'haiku' })
    expect((await post('settings.setModel', { name: 'ghost', model: 'x' })).status).toBe(404)
    expect(Array.isArray(await get('turns.recent', { name: 'manager' }))).toBe(true)
  })

  it('never sends a stack trace in a tRPC error', async () => {
    const session = await cookie()
    const missing = await fetch(`${daemon.origin}/api/trpc/agents.get?input=${encodeURIComponent('{"name":"ghost"}')}`, { headers: { cookie: session } })
    const invalid = await fetch(`${daemon.origin}/api/trpc/agents.spawn`, {
      method: 'POST',
      headers: { cookie: session, 'content-type': 'application/json', origin: daemon.origin },
      body: '{not json',
    })
    expect([missing.status, invalid.status]).toEqual([404, 400])
    for (const res of [missing, invalid]) {
      const body = (await res.json()) as { error: { data: Record<string, unknown> } }
      expect(body.error.data).toHaveProperty('code')
      expect(body.error.data).not.toHaveProperty('stack')
      expect(JSON.stringify(body)).not.toMatch(/"stack"|\.ts:\d+/)
    }
  })

  it('gives every login its own session; `hive logout --all` ends them all, not the bearer token', async () => {
    const first = await cookie()
    const second = await cookie()
    expect(first).toMatch(/^hive_session=[A-Za-z0-9_-]{43}$/)
    expect(second).not.toBe(first)
    const list = (session: string) => fetch(`${daemon.origin}/api/trpc/agents.list`, { headers: { cookie: session } })
    expect((await list(first)).status).toBe(200)
    expect((await list(second)).status).toBe(200)

    const out = await daemon.cli('logout', '--all')
    expect(out.code, out.stderr).toBe(0)
    expect(out.stdout).toMatch(/^\d+ sessions? ended/)

    expect((await list(first)).status).toBe(401)
    expect((await list(second)).status).toBe(401)
    expect(await upgrade(daemon.origin, '/pty/manager', { Cookie: first, Origin: daemon.origin })).toBe('HTTP/1.1 401 Unauthorized')
    const token = new URL(daemon.loginUrl).searchParams.get('token') ?? ''
    expect((await fetch(`${daemon.origin}/api/trpc/agents.list`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
    expect((await list(await cookie())).status).toBe(200)
    expect((await daemon.cli('logout')).code).toBe(1)
  })

  it('answers 421 to a Host that is not this daemon, before auth and on /healthz too', async () => {
    const session = await cookie()
    const o = daemon.origin
    expect((await getWithHost(o, '/healthz', 'evil.example')).status).toBe(421)
    expect((await getWithHost(o, '/api/trpc/agents.list', `evil.example:${new URL(o).port}`)).status).toBe(421)
    expect((await getWithHost(o, `/login?token=${new URL(daemon.loginUrl).searchParams.get('token') ?? ''}`, 'evil.example')).status).toBe(421)
    expect(await upgrade(o, '/pty/manager', { Cookie: session, Origin: 'http://evil.example', Host: 'evil.example' })).toBe('HTTP/1.1 421 Misdirected Request')
    expect((await getWithHost(o, '/healthz', `localhost:${new URL(o).port}`)).status).toBe(200)
    expect((await getWithHost(o, '/healthz', new URL(o).host)).status).toBe(200)
  })

  it('forbids framing on every response', async () => {
    const session = await cookie()
    const o = daemon.origin
    const responses = [
      await fetch(`${o}/healthz`),
      await fetch(`${o}/api/trpc/agents.list`),
      await fetch(`${o}/api/trpc/agents.list`, { headers: { cookie: session } }),
      await fetch(`${o}/nowhere`, { headers: { cookie: session } }),
      await fetch(`${o}/login?token=wrong`),
    ]
    for (const res of responses) {
      expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'none'")
      expect(res.headers.get('x-frame-options')).toBe('DENY')
    }
    const misdirected = await getWithHost(o, '/healthz', 'evil.example')
    expect(misdirected.headers['content-security-policy']).toBe("frame-ancestors 'none'")
  })

  it('refuses a 50 MB body with 413 without reading it, declared or chunked, and keeps serving', async () => {
    const session = await cookie()
    const post = (body: BodyInit) =>
      fetch(`${daemon.origin}/api/trpc/messages.send`, {
        method: 'POST',
        headers: { cookie: session, 'content-type': 'application/json', origin: daemon.origin },
        body,
        duplex: 'half',
      } as RequestInit)
    expect((await post(Buffer.alloc(FIFTY_MB, 'x'))).status).toBe(413)
    const chunked = chunkedBody(FIFTY_MB)
    expect((await post(chunked.stream)).status).toBe(413)
    // The daemon stopped reading: the client could not even hand most of it to the socket.
    expect(chunked.sent()).toBeLessThan(FIFTY_MB / 2)
    expect((await fetch(`${daemon.origin}/healthz`)).status).toBe(200)
    expect((await post(JSON.stringify({ to: 'manager', body: 'small enough' }))).status).toBe(200)
  })

  it('`hive token rotate` retires the old token and prints a login URL that works', async () => {
    const oldUrl = daemon.loginUrl
    const oldToken = new URL(oldUrl).searchParams.get('token') ?? ''
    const before = await cookie()

    const out = await daemon.cli('token', 'rotate')
    expect(out.code, out.stderr).toBe(0)
    const printed = /login: (\S+)/.exec(out.stdout)?.[1] ?? ''
    const newToken = new URL(printed).searchParams.get('token') ?? ''
    expect(newToken).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(newToken).not.toBe(oldToken)
    // Later tests log in with the token in force.
    daemon.loginUrl = printed

    const list = (headers: Record<string, string>) => fetch(`${daemon.origin}/api/trpc/agents.list`, { headers })
    expect((await list({ authorization: `Bearer ${oldToken}` })).status).toBe(401)
    expect((await fetch(oldUrl, { redirect: 'manual' })).status).toBe(401)
    expect((await list({ cookie: before })).status).toBe(401)
    expect((await list({ authorization: `Bearer ${newToken}` })).status).toBe(200)
    expect((await list({ cookie: await login(daemon, printed) })).status).toBe(200)
    expect((await daemon.cli('login-url')).stdout.trim()).toBe(printed)
  })
})

describe('idle sessions', () => {
  const IDLE_S = 1.5
  const { daemon } = useHive({ env: { HIVE_SESSION_IDLE_HOURS: String(IDLE_S / 3600) } })

  it('expire after HIVE_SESSION_IDLE_HOURS without use', async () => {
    const session = await login(daemon)
    const list = () => fetch(`${daemon.origin}/api/trpc/agents.list`, { headers: { cookie: session } })
    expect((await list()).status).toBe(200)
    await sleep(IDLE_S * 1000 + 500)
    expect((await list()).status).toBe(401)
    expect((await fetch(`${daemon.origin}/api/trpc/agents.list`, { headers: { cookie: await login(daemon) } })).status).toBe(200)
  })
})
