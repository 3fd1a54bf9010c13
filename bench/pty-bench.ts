import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import * as pty from 'node-pty'
import WebSocket from 'ws'
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
  serverCpuSPer100MB: number
  wettyServerCpuSPer100MB: number
  /** Every round, ours, wetty and direct, in the order they ran. */
  throughputRounds: { ours: FloodRun[]; wetty: FloodRun[]; direct: FloodRun[] }
  wettyThroughputMBs: number
  /** The physical limit: node-pty read in this process, no server, no websocket. */
  directThroughputMBs: number
  ctrlCMs: number
  bytesLost: number
}

interface Session {
  serverPid: number
  headers: Record<string, string>
  url: string
}

/** Keystroke → echo byte, ^C under flood, bytes lost: ours through the daemon's websocket. */
async function benchOurs(session: Session, echoSamples: number, lossBytes: number): Promise<Pick<PtyBench, 'echo' | 'ctrlCMs' | 'bytesLost'>> {
  const t = await TerminalClient.open(session.url, session.headers)
  try {
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

    // Every byte of a flood arrives, in order, through flow control (TerminalClient keeps it all).
    at = t.offset
    t.type('stty -echo; echo SYNC$((2+2))\r')
    await t.waitFor('SYNC4\r\n', at)
    const start = t.offset
    t.type(`head -c ${lossBytes} /dev/zero | base64 | cat; echo END$((6*7))MARK\r`)
    const end = await t.waitFor('END42MARK', start, 600_000)
    const bytesLost = Math.max(0, base64PtyBytes(lossBytes) - (end - 'END42MARK'.length - start))

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
    return { echo: summarize(echo), ctrlCMs, bytesLost }
  } finally {
    t.close()
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

/**
 * The throughput side of a terminal as the benchmark sees it: type a line, count output bytes,
 * ack like xterm.js would. Counts and a short tail only — a client that keeps or rescans the
 * history would make itself, not the server, the bottleneck (and it shares the 2 cores).
 */
interface FloodClient {
  type(text: string): void
  close(): void
  /** The server process, whose CPU time per byte we report. */
  serverPid: number
}

/** utime + stime of a process, in seconds (USER_HZ is 100 on Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

class OutputCounter {
  total = 0
  private tail = ''
  private waiter: (() => void) | undefined

  /** Counts a chunk; keeps its last bytes so markers split across chunks are still found. */
  add(chunk: Buffer | string): void {
    this.total += chunk.length
    const end = typeof chunk === 'string' ? chunk.slice(-64) : chunk.toString('latin1', Math.max(0, chunk.length - 64))
    this.tail = (this.tail + end).slice(-64)
    this.waiter?.()
  }

  /** Resolves with the byte count right after `marker` shows up. */
  waitFor(marker: string, timeoutMs = 600_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${marker}`)), timeoutMs)
      const check = () => {
        if (!this.tail.includes(marker)) return
        clearTimeout(timer)
        this.waiter = undefined
        this.tail = ''
        resolve(this.total)
      }
      this.waiter = check
      check()
    })
  }
}

/** Ours: `/pty/<agent>` websocket, an ack per binary frame (the dashboard acks per `term.write`). */
async function oursFloodClient(session: Session, counter: OutputCounter): Promise<FloodClient> {
  const serverPid = session.serverPid
  const ws = new WebSocket(session.url, { headers: session.headers })
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return
    ws.send(`{"type":"ack","bytes":${data.length}}`)
    counter.add(data)
  })
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  return { type: (text) => ws.send(Buffer.from(text), { binary: true }), close: () => ws.close(), serverPid }
}

/** wetty (socket.io + node-pty) from npm, acking ("commit") every 256 KiB like its own client. */
async function wettyFloodClient(wetty: { port: number; pid: number }, counter: OutputCounter): Promise<FloodClient> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const socket = await new Promise<ReturnType<typeof io>>((resolve, reject) => {
        const s = io(`http://127.0.0.1:${wetty.port}`, { path: '/wetty/socket.io', reconnection: false })
        s.once('login', () => resolve(s))
        s.once('connect_error', (e) => {
          s.close()
          reject(e)
        })
      })
      let pendingCommit = 0
      socket.on('data', (d: string) => {
        pendingCommit += d.length
        if (pendingCommit >= 262_144) {
          socket.emit('commit', pendingCommit)
          pendingCommit = 0
        }
        counter.add(d)
      })
      return { type: (text) => socket.emit('input', text), close: () => socket.close(), serverPid: wetty.pid }
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  throw new Error('wetty did not start')
}

/** The floor: the same shell under node-pty in this process, every chunk counted as it arrives. */
function directFloodClient(counter: OutputCounter): Promise<FloodClient> {
  const p = pty.spawn('/bin/bash', ['--norc', '--noprofile'], { cols: 80, rows: 24, env: { PATH: '/usr/bin:/bin', TERM: 'xterm' } })
  p.onData((d) => counter.add(d))
  return Promise.resolve({ type: (text) => p.write(text), close: () => p.kill(), serverPid: process.pid })
}

async function startWetty(): Promise<{ port: number; pid: number; stop: () => void }> {
  const port = await freePort()
  const main = fileURLToPath(new URL('../node_modules/wetty/build/main.js', import.meta.url))
  const server = spawn(process.execPath, [main, '--host', '127.0.0.1', '--port', String(port), '--command', 'bash', '--base', '/wetty'], {
    stdio: 'ignore',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm' },
  })
  if (server.pid === undefined) throw new Error('wetty did not start')
  return { port, pid: server.pid, stop: () => server.kill('SIGTERM') }
}

interface FloodRun {
  mbPerS: number
  /** The server's CPU seconds per 100 MB of output (wall speed is bounded by the kernel's PTY). */
  serverCpuSPer100MB: number
}

/** One `head -c n /dev/zero | base64 | cat` flood. */
async function flood(client: FloodClient, counter: OutputCounter, bytes: number): Promise<FloodRun> {
  const cpu0 = cpuSeconds(client.serverPid)
  const t0 = nowMs()
  const start = counter.total
  client.type(`head -c ${bytes} /dev/zero | base64 | cat; echo END$((6*7))MARK\r`)
  const end = await counter.waitFor('END42MARK')
  const mb = (end - start) / 1e6
  return { mbPerS: mb / ((nowMs() - t0) / 1000), serverCpuSPer100MB: ((cpuSeconds(client.serverPid) - cpu0) / mb) * 100 }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

/**
 * Same flood through ours, wetty and node-pty in-process, a warm-up each, then rounds alternating
 * between them so that noise on the shared box hits all alike; medians.
 */
async function benchThroughput(session: Session, floodBytes: number, rounds: number): Promise<PtyBench['throughputRounds']> {
  const wetty = await startWetty()
  const sides = await Promise.all(
    [(c: OutputCounter) => oursFloodClient(session, c), (c: OutputCounter) => wettyFloodClient(wetty, c), directFloodClient].map(async (open) => {
      const counter = new OutputCounter()
      const client = await open(counter)
      client.type("PS1='$ '; stty -echo; echo SYNC$((2+2))\r")
      await counter.waitFor('SYNC4')
      return { client, counter, samples: [] as FloodRun[] }
    }),
  )
  try {
    for (const side of sides) await flood(side.client, side.counter, Math.min(floodBytes, 10_000_000))
    for (let r = 0; r < rounds; r++) {
      for (const side of sides) side.samples.push(await flood(side.client, side.counter, floodBytes))
    }
    return { ours: sides[0]?.samples ?? [], wetty: sides[1]?.samples ?? [], direct: sides[2]?.samples ?? [] }
  } finally {
    for (const side of sides) side.client.close()
    wetty.stop()
  }
}

export async function benchPty(opts: { echoSamples: number; floodBytes: number; rounds: number }): Promise<PtyBench> {
  const fake = await startFakeAnthropic()
  const daemon = new HiveDaemon(HiveDaemon.tempHome(), { ...claudeTestEnv(fake.url), LOG_LEVEL: 'warn' })
  await daemon.start()
  try {
    const res = await fetch(daemon.loginUrl, { redirect: 'manual' })
    const serverPid = daemon.pid
    if (serverPid === undefined) throw new Error('hive serve has no pid')
    const session: Session = {
      serverPid,
      headers: { Cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '', Origin: daemon.origin },
      url: `${daemon.origin.replace('http', 'ws')}/pty/manager?kind=shell`,
    }
    const ours = await benchOurs(session, opts.echoSamples, opts.floodBytes)
    const directEcho = await benchDirectEcho(opts.echoSamples)
    const throughput = await benchThroughput(session, opts.floodBytes, opts.rounds)
    return {
      ...ours,
      directEcho,
      throughputMBs: median(throughput.ours.map((r) => r.mbPerS)),
      wettyThroughputMBs: median(throughput.wetty.map((r) => r.mbPerS)),
      directThroughputMBs: median(throughput.direct.map((r) => r.mbPerS)),
      serverCpuSPer100MB: median(throughput.ours.map((r) => r.serverCpuSPer100MB)),
      wettyServerCpuSPer100MB: median(throughput.wetty.map((r) => r.serverCpuSPer100MB)),
      throughputRounds: throughput,
    }
  } finally {
    await daemon.stop()
    await fake.close()
    daemon.removeHome()
  }
}
