import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import * as pty from 'node-pty'
import { io } from 'socket.io-client'
import { claudeTestEnv, startFakeAnthropic } from '@hive/testkit'
import { HiveDaemon } from '../apps/harness/test/support/hive-daemon.ts'
import { TerminalClient } from '../apps/harness/test/support/terminal-client.ts'
import { nowMs, summarize, type Latency } from './stats.ts'

/** Output size of `head -c n /dev/zero | base64` through a PTY (76-column lines, CRLF). */
function base64PtyBytes(n: number): number {
  const chars = Math.ceil(n / 3) * 4
  return chars + 2 * Math.ceil(chars / 76)
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

export interface PtyBench {
  echo: Latency
  directEcho: Latency
  throughputMBs: number
  wettyThroughputMBs: number
  ctrlCMs: number
  bytesLost: number
}

/** Keystroke → echo byte, throughput, ^C under flood: ours through the daemon's websocket. */
async function benchOurs(echoSamples: number, floodBytes: number): Promise<Omit<PtyBench, 'directEcho' | 'wettyThroughputMBs'>> {
  const fake = await startFakeAnthropic()
  const daemon = new HiveDaemon(HiveDaemon.tempHome(), { ...claudeTestEnv(fake.url), LOG_LEVEL: 'warn' })
  await daemon.start()
  try {
    const res = await fetch(daemon.loginUrl, { redirect: 'manual' })
    const headers = { Cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '', Origin: daemon.origin }
    const t = await TerminalClient.open(`${daemon.origin.replace('http', 'ws')}/pty/manager?kind=shell`, headers)
    await new Promise((r) => setTimeout(r, 300))
    let at = t.offset
    t.type("PS1='$ '; echo READY$((1+1))\r")
    await t.waitFor('READY2', at)

    // Echo: the tty line discipline echoes what `cat` reads; we time each key to its echo.
    at = t.offset
    t.type('cat\r')
    await t.waitFor('cat\r\n', at)
    await new Promise((r) => setTimeout(r, 100))
    const echo: number[] = []
    for (let i = 0; i < echoSamples + 20; i++) {
      const key = String.fromCharCode(97 + (i % 26))
      const from = t.offset
      const t0 = nowMs()
      t.type(key)
      await t.waitFor(key, from)
      if (i >= 20) echo.push(nowMs() - t0)
    }
    at = t.offset
    t.type('\x03')
    await t.waitFor('$ ', at)

    at = t.offset
    t.type('stty -echo; echo SYNC$((2+2))\r')
    await t.waitFor('SYNC4\r\n', at)
    const start = t.offset
    const t0 = nowMs()
    t.type(`head -c ${floodBytes} /dev/zero | base64 | cat; echo END$((6*7))MARK\r`)
    const end = await t.waitFor('END42MARK', start, 600_000)
    const secs = (nowMs() - t0) / 1000
    const got = end - 'END42MARK'.length - start
    const bytesLost = Math.max(0, base64PtyBytes(floodBytes) - got)

    await t.waitFor('$ ', end)
    at = t.offset
    t.type('yes\r')
    await t.waitFor('y\r\ny\r\n', at)
    await new Promise((r) => setTimeout(r, 1000))
    const c0 = nowMs()
    const before = t.offset
    t.type('\x03')
    await new Promise((r) => setTimeout(r, 20))
    t.type('echo STOP$((3*7))X\r')
    await t.waitFor('STOP21X', before, 60_000)
    const ctrlCMs = nowMs() - c0
    t.close()
    return { echo: summarize(echo), throughputMBs: got / 1e6 / secs, ctrlCMs, bytesLost }
  } finally {
    await daemon.stop()
    await fake.close()
    daemon.removeHome()
  }
}

/** The floor: node-pty in this process, no websocket, no daemon. */
async function benchDirectEcho(samples: number): Promise<Latency> {
  const p = pty.spawn('/bin/bash', ['--norc', '--noprofile'], { cols: 80, rows: 24, env: { PATH: '/usr/bin:/bin', TERM: 'xterm' } })
  let buffer = ''
  let waiter: (() => void) | undefined
  p.onData((d) => {
    buffer += d
    waiter?.()
  })
  const waitFor = (s: string) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (buffer.includes(s)) {
          waiter = undefined
          resolve()
        }
      }
      waiter = check
      check()
    })
  p.write('cat\r')
  await waitFor('cat\r\n')
  await new Promise((r) => setTimeout(r, 100))
  const out: number[] = []
  for (let i = 0; i < samples + 20; i++) {
    const key = String.fromCharCode(97 + (i % 26))
    buffer = ''
    const t0 = nowMs()
    p.write(key)
    await waitFor(key)
    if (i >= 20) out.push(nowMs() - t0)
  }
  p.kill()
  return summarize(out)
}

/** wetty (socket.io + node-pty) from npm, same flood, acking ("commit") every 256 KiB like ours. */
async function benchWetty(floodBytes: number): Promise<number> {
  const port = await freePort()
  const main = fileURLToPath(new URL('../node_modules/wetty/build/main.js', import.meta.url))
  const server = spawn(process.execPath, [main, '--host', '127.0.0.1', '--port', String(port), '--command', 'bash', '--base', '/wetty'], {
    stdio: 'ignore',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm' },
  })
  try {
    const socket = await (async () => {
      for (let i = 0; i < 100; i++) {
        try {
          return await new Promise<ReturnType<typeof io>>((resolve, reject) => {
            const s = io(`http://127.0.0.1:${port}`, { path: '/wetty/socket.io', reconnection: false })
            s.once('login', () => resolve(s))
            s.once('connect_error', (e) => {
              s.close()
              reject(e)
            })
          })
        } catch {
          await new Promise((r) => setTimeout(r, 100))
        }
      }
      throw new Error('wetty did not start')
    })()
    // Counts and a short tail only: a growing string scanned per event would make the client,
    // not wetty, the bottleneck.
    let total = 0
    let tail = ''
    let pendingCommit = 0
    let waiter: (() => void) | undefined
    socket.on('data', (d: string) => {
      total += d.length
      tail = (tail + d).slice(-64)
      pendingCommit += d.length
      if (pendingCommit >= 262_144) {
        socket.emit('commit', pendingCommit)
        pendingCommit = 0
      }
      waiter?.()
    })
    const waitFor = (s: string) =>
      new Promise<number>((resolve) => {
        const check = () => {
          if (tail.includes(s)) {
            waiter = undefined
            tail = ''
            resolve(total)
          }
        }
        waiter = check
        check()
      })
    socket.emit('input', "PS1='$ '; stty -echo; echo SYNC$((2+2))\r")
    const start = await waitFor('SYNC4\r\n')
    const t0 = nowMs()
    socket.emit('input', `head -c ${floodBytes} /dev/zero | base64 | cat; echo END$((6*7))MARK\r`)
    const end = await waitFor('END42MARK')
    const secs = (nowMs() - t0) / 1000
    socket.close()
    return (end - start) / 1e6 / secs
  } finally {
    server.kill('SIGTERM')
  }
}

export async function benchPty(opts: { echoSamples: number; floodBytes: number }): Promise<PtyBench> {
  const ours = await benchOurs(opts.echoSamples, opts.floodBytes)
  const directEcho = await benchDirectEcho(opts.echoSamples)
  const wettyThroughputMBs = await benchWetty(opts.floodBytes)
  return { ...ours, directEcho, wettyThroughputMBs }
}
