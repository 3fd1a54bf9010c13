import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const REPO = fileURLToPath(new URL('../../..', import.meta.url))

/** `npm start` as a new user runs it: migrate, start, print the login URL, serve /healthz. */
describe('npm start', () => {
  const home = mkdtempSync(join(tmpdir(), 'hive-start-'))
  let child: ChildProcess
  let loginUrl = ''
  const output: string[] = []

  beforeAll(async () => {
    child = spawn('npm', ['start'], {
      cwd: REPO,
      detached: true, // own group: npm's children go down with it in afterAll
      env: { ...process.env, HIVE_HOME: home, HIVE_PORT: '0', HIVE_RUNTIME: 'process', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (l) => output.push(l))
    loginUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no login URL:\n${output.join('\n')}`)), 90_000)
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        output.push(line)
        const m = /◆ login: (\S+)/.exec(line)
        if (m?.[1]) {
          clearTimeout(timer)
          resolve(m[1])
        }
      })
    })
  })

  afterAll(async () => {
    if (child.pid) {
      const exited = new Promise((r) => child.once('exit', r))
      process.kill(-child.pid, 'SIGTERM')
      await exited
    }
    rmSync(home, { recursive: true, force: true })
  })

  it('migrated a new database and printed where it lives', () => {
    expect(output.join('\n')).toMatch(/◆ database .*hive\.db \(new\): applied \d{14}_init/)
    expect(existsSync(join(home, 'hive.db'))).toBe(true)
    expect(statSync(join(home, 'operator.token')).mode & 0o777).toBe(0o600)
    expect(statSync(join(home, 'run', 'host.sock')).mode & 0o777).toBe(0o600)
  })

  it('serves /healthz without login and nothing else', async () => {
    const origin = new URL(loginUrl).origin
    const health = await fetch(`${origin}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ ok: true })
    expect((await fetch(`${origin}/`)).status).toBe(401)
    expect((await fetch(`${origin}/api/trpc/agents.list`)).status).toBe(401)
    expect((await fetch(`${origin}/login?token=wrong`, { redirect: 'manual' })).status).toBe(401)
  })

  it('logs in with the printed URL: HttpOnly SameSite=Strict cookie, then authorized', async () => {
    const res = await fetch(loginUrl, { redirect: 'manual' })
    expect(res.status).toBe(302)
    const cookie = res.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    const session = cookie.split(';')[0] ?? ''
    const origin = new URL(loginUrl).origin
    expect((await fetch(`${origin}/nowhere`, { headers: { cookie: session } })).status).toBe(404)
    const token = new URL(loginUrl).searchParams.get('token') ?? ''
    expect((await fetch(`${origin}/nowhere`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404)
  })
})
