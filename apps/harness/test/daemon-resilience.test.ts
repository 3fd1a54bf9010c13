import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { connect } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { TerminalClose } from '@hive/mcp/terminal-frames'
import { useHive } from './support/hive-fixture.ts'
import { TerminalClient } from './support/terminal-client.ts'

const PROMPT = 'PTY-READY> '
const MiB = 1024 * 1024

/** Writes `request` as it is and resolves with the status line of the answer. */
function rawRequest(origin: string, request: string): Promise<string> {
  const url = new URL(origin)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(request))
    let data = ''
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1')
      const end = data.indexOf('\r\n')
      if (end >= 0) {
        socket.destroy()
        resolve(data.slice(0, end))
      }
    })
    socket.on('close', () => resolve(data))
    socket.on('error', reject)
  })
}

const UPGRADE_HEADERS = ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']

/** The daemon's resident memory, from /proc. */
function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return Number(kb) * 1024
}

/** A daemon that one bad request, a hostile terminal or a busy database cannot take down. */
describe('daemon resilience', () => {
  const { daemon } = useHive()
  let headers: Record<string, string>
  let bearer: string
  const wsUrl = (path: string) => daemon.origin.replace('http', 'ws') + path

  beforeAll(async () => {
    const res = await fetch(daemon.loginUrl, { redirect: 'manual' })
    headers = { Cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '', Origin: daemon.origin }
    bearer = `Authorization: Bearer ${new URL(daemon.loginUrl).searchParams.get('token') ?? ''}`
  })

  async function expectHealthy(): Promise<void> {
    expect((await fetch(`${daemon.origin}/healthz`)).status).toBe(200)
    expect(() => process.kill(daemon.pid ?? 0, 0)).not.toThrow()
  }

  async function shell(): Promise<TerminalClient> {
    const t = await TerminalClient.open(wsUrl('/pty/manager?kind=shell&cols=100&rows=30'), headers)
    // A shared session replays its scrollback first; our prompt marker comes after it.
    await sleep(200)
    const at = t.offset
    t.type(`PS1='${PROMPT}'; stty -echo\r`)
    await t.waitFor(PROMPT, at)
    return t
  }

  it('answers each crash request with a 4xx or a close code, before and after authentication', async () => {
    const host = `Host: ${new URL(daemon.origin).host}`
    const request = (target: string, ...lines: string[]) => [`${target} HTTP/1.1`, host, ...lines, '', ''].join('\r\n')
    const o = daemon.origin
    for (const auth of [[], [bearer]]) {
      expect(await rawRequest(o, request('GET http://[', ...auth))).toBe('HTTP/1.1 400 Bad Request')
      expect(await rawRequest(o, request('GET http://[', ...auth, ...UPGRADE_HEADERS))).toBe('HTTP/1.1 400 Bad Request')
      expect(await rawRequest(o, request('GET http://127.0.0.1/healthz', ...auth))).toBe('HTTP/1.1 400 Bad Request')
      expect(await rawRequest(o, request('OPTIONS *', ...auth))).toBe('HTTP/1.1 400 Bad Request')
    }
    expect(await rawRequest(o, request('GET /pty/%E0%A4%A', ...UPGRADE_HEADERS))).toBe('HTTP/1.1 401 Unauthorized')
    expect(await rawRequest(o, request('GET /%E0%A4%A', bearer))).toBe('HTTP/1.1 404 Not Found')

    const malformed = await TerminalClient.open(wsUrl('/pty/%E0%A4%A'), headers)
    await new Promise((r) => malformed.ws.once('close', r))
    expect(malformed.closed?.code).toBe(TerminalClose.BAD_REQUEST)
    expect(String(malformed.controls[0]?.message)).toContain('percent-encoded')

    // The close reason echoes the name: 60 'é' are 120 bytes before the rest of the message.
    const unicode = await TerminalClient.open(wsUrl(`/pty/${encodeURIComponent('é'.repeat(60))}`), headers)
    await new Promise((r) => unicode.ws.once('close', r))
    expect(unicode.closed?.code).toBe(TerminalClose.UNKNOWN_AGENT)
    expect(Buffer.byteLength(unicode.closed?.reason ?? '')).toBeLessThanOrEqual(123)
    expect(String(unicode.controls[0]?.message)).toContain('é'.repeat(60))

    await expectHealthy()
  })

  it('keeps a session open when the exit sentinel is printed by hand, and never shows the nonce', async () => {
    const t = await shell()
    const at = t.offset
    t.type(`printf '\\033]7777;exit=0\\007'; printf '\\033]7777;exit=%s;0\\007' ${'0'.repeat(32)}; echo "still-$((2+2)) [$HIVE_PTY_SENTINEL]"\r`)
    await t.waitFor('still-4 []', at)
    expect(t.text.slice(at)).toContain('\x1b]7777;exit=0\x07')
    const next = t.offset
    t.type('echo alive-$((3+4))\r')
    await t.waitFor('alive-7', next)
    expect(t.closed).toBeUndefined()
    t.close()
  })

  it('passes a 200 MiB flood after the sentinel prefix through with bounded daemon memory', async () => {
    const pid = daemon.pid ?? 0
    const t = await shell()
    const before = rssBytes(pid)
    let peak = before
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 100)
    const at = t.offset
    const started = Date.now()
    try {
      // The end marker is assembled by printf, so the command's own text never matches it.
      t.type(`printf '\\033]7777;exit='; head -c ${200 * MiB} /dev/zero | tr '\\0' a; printf '\\nFLOOD-%s\\n' DONE\r`)
      const end = await t.waitFor('FLOOD-DONE', at, 170_000)
      expect(end - at).toBeGreaterThan(200 * MiB)
    } finally {
      clearInterval(sampler)
    }
    console.log(`flood of 200 MiB in ${((Date.now() - started) / 1000).toFixed(1)} s; daemon RSS ${(before / MiB).toFixed(0)} MiB before, peak ${(peak / MiB).toFixed(0)} MiB`)
    expect(peak - before).toBeLessThan(150 * MiB)
    const next = t.offset
    t.type('echo after-$((1+1))\r')
    await t.waitFor('after-2', next)
    t.close()
  }, 240_000)

  it('waits out a database another process holds without stalling, and the writes land after', async () => {
    const cookie = headers.Cookie ?? ''
    const post = (path: string, body: unknown) =>
      fetch(`${daemon.origin}/api/trpc/${path}`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', origin: daemon.origin },
        body: JSON.stringify(body),
      })
    const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3')
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require(${JSON.stringify(betterSqlite)}))(process.argv[1]); db.exec('BEGIN IMMEDIATE'); console.log('locked');
         setTimeout(() => { db.exec('ROLLBACK'); console.log('released ' + Date.now()) }, 3000)`,
        join(daemon.home, 'hive.db'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const lines = createInterface({ input: holder.stdout })
    // When the holder rolled back, by its own clock (the same as ours): the write cannot land before.
    let releasedAt = 0
    const locked = new Promise<void>((resolve) =>
      lines.on('line', (line) => {
        if (line === 'locked') resolve()
        const released = /^released (\d+)$/.exec(line)?.[1]
        if (released) releasedAt = Number(released)
      }),
    )
    await locked
    const write = post('settings.setModel', { name: 'manager', model: 'opus' }).then((res) => ({ status: res.status, at: Date.now() }))
    // A broker write (the raw connection, not Prisma) from the CLI, started while the lock is held.
    const sendStartedAt = Date.now()
    const send = daemon.cli('send', 'manager', 'sent while the database was locked').then((r) => ({ ...r, at: Date.now() }))
    let slowest = 0
    let answered = 0
    while (releasedAt === 0) {
      const start = Date.now()
      expect((await fetch(`${daemon.origin}/healthz`)).status).toBe(200)
      slowest = Math.max(slowest, Date.now() - start)
      answered++
      await sleep(25)
    }
    const done = await write
    const sent = await send
    console.log(
      `/healthz answered ${answered} times while the database was locked, slowest in ${slowest} ms; hive send started ${releasedAt - sendStartedAt} ms before the release`,
    )
    // Not stalled: a synchronous busy wait held every answer for the whole lock (3 s); the margin is for a GC pause on a busy box.
    expect(slowest).toBeLessThan(1000)
    expect(done.status).toBe(200)
    expect(done.at).toBeGreaterThanOrEqual(releasedAt)
    expect(sent.code, sent.stderr).toBe(0)
    expect(sent.stdout).toMatch(/^sent to manager \(message \d+\)$/m)
    expect(sent.at).toBeGreaterThanOrEqual(releasedAt)
    const recent = await fetch(`${daemon.origin}/api/trpc/messages.recent?input=${encodeURIComponent('{}')}`, { headers: { cookie } })
    expect(JSON.stringify(await recent.json())).toContain('sent while the database was locked')
    const model = await fetch(`${daemon.origin}/api/trpc/settings.model?input=${encodeURIComponent('{"name":"manager"}')}`, { headers: { cookie } })
    expect(JSON.stringify(await model.json())).toContain('"override":"opus"')
    await expectHealthy()
  })
})
