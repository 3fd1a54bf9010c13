import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { useHive } from './support/hive-fixture.ts'

/** Raw HTTP/1.1 upgrade request; resolves with the status line the server answered. */
function upgrade(origin: string, path: string, headers: Record<string, string>): Promise<string> {
  const url = new URL(origin)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      const lines = [
        `GET ${path} HTTP/1.1`,
        `Host: ${url.host}`,
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ]
      socket.write(lines.join('\r\n') + '\r\n\r\n')
    })
    let data = ''
    socket.on('data', (d: Buffer) => (data += d.toString()))
    socket.on('close', () => resolve(data.split('\r\n')[0] ?? ''))
    socket.on('error', reject)
  })
}

describe('operator auth on every route', () => {
  const { daemon } = useHive()
  const cookie = async () => {
    const res = await fetch(daemon.loginUrl, { redirect: 'manual' })
    return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  }

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
})
