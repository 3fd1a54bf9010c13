import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { claudeTestEnv, startFakeAnthropic } from '@hive/testkit'
import type { AgentView } from '@hive/mcp'
import { defaultClaudeBin, printModeArgs } from '../apps/harness/src/adapters/claude-command.ts'
import { buildWakePrompt } from '../apps/harness/src/domain/wake-prompt.ts'
import { HiveDaemon } from '../apps/harness/test/support/hive-daemon.ts'
import { agentSocketPath, connectAdmin } from '../apps/harness/test/support/sockets.ts'
import { agentProcesses, rssMb } from './process-probe.ts'
import { nowMs, summarize, type Latency } from './stats.ts'

/** `hive` as installed: the sh bin running the CLI's startup snapshot. */
const HIVE_CLI = fileURLToPath(new URL('../apps/harness/bin/hive', import.meta.url))
const HIVE_ESM_BIN = fileURLToPath(new URL('../apps/harness/bin/hive.mjs', import.meta.url))

const Bench = {
  /** Every wait on the hive has a bound: a turn of the fake model takes seconds, not minutes. */
  IDLE_TIMEOUT_MS: 180_000,
  TURN_TIMEOUT_MS: 60_000,
  SPAWN_TIMEOUT_MS: 30_000,
  /** Quiet time before RSS is read: a booted harness settles its heap within a few seconds. */
  SETTLE_MS: 5_000,
  /** RSS reads per process, a second apart; their median is its figure. */
  RSS_READS: 3,
  /** Untimed runs before each timed series (page cache, the fake's first request). */
  WARMUP_RUNS: 2,
  POLL_MS: 25,
  /** The model of an agent with no agent.json `model` (domain/agent-config.ts). */
  MODEL: 'haiku',
  WORKER_PREFIX: 'bench-w',
} as const

export interface StartupSize {
  /** Timed runs of `hive list`, `hive --help` and `node -e 0` each. */
  cliSamples: number
  /** Idle workers beside the manager. */
  agents: number
  mcpSamples: number
  /** Timed turns through the hive, and as many raw `claude --print` runs. */
  turns: number
}

interface CliFigures {
  list: Latency
  help: Latency
  /** `hive list` through the ES module bin (no snapshot): the fallback's cost. */
  list_esm: Latency
  node_floor: Latency
  list_peak_rss_mb: number
  help_peak_rss_mb: number
  node_floor_peak_rss_mb: number
}

interface TurnFigures {
  /** Message sent → acked, by the daemon's clock. */
  hive: Latency
  /** The turn loop's own measure of the same turns: turn_start → turn_end. */
  hive_turn: Latency
  raw: Latency
  /** Median of (hive − raw) over the pairs, which ran back to back. */
  overhead_p50_ms: number
}

/** The figures as bench/results.json holds them. */
export interface StartupResults {
  cli: CliFigures & { list_wall_ms: number; node_floor_ms: number; list_vs_node: number; help_wall_ms: number; list_esm_wall_ms: number }
  agent: {
    /** Median VmRSS of the idle workers' `hive-agent serve` (no turn run yet). */
    idle_rss_mb: number
    idle_rss_max_mb: number
    workers: number
    manager_rss_mb: number
    /** The worker that ran the turns, idle again afterwards. */
    after_turns_rss_mb: number
  }
  daemon: { rss_mb_10_agents: number; agents: number }
  mcp: { cold_start_ms: number; node_floor_ms: number; cold_start: Latency; node_floor: Latency }
  turn: TurnFigures & { overhead_ms: number }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const round1 = (x: number) => Math.round(x * 10) / 10
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(Bench.POLL_MS * 4)
  }
}

interface Timed {
  ms: number
  /** Peak RSS in MiB (GNU time's maximum resident set size), when asked for. */
  peakMb?: number
}

const GNU_TIME = '/usr/bin/time'

/**
 * One process from spawn to exit and its closed pipes, as a shell would time it. With `peak`, it
 * runs under GNU time for its maximum RSS (a separate pass: time itself costs a little).
 */
function timeProcess(command: string, args: string[], env: NodeJS.ProcessEnv, peak = false): Promise<Timed> {
  const [file, argv] = peak ? [GNU_TIME, ['-f', 'maxrss_kb=%M', command, ...args]] : [command, args]
  return new Promise((resolve, reject) => {
    const t0 = nowMs()
    const child = spawn(file, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4096)))
    child.once('error', reject)
    child.once('close', (code) => {
      const ms = nowMs() - t0
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`))
      const kb = /maxrss_kb=(\d+)/.exec(stderr)?.[1]
      resolve(peak && kb ? { ms, peakMb: round1(Number(kb) / 1024) } : { ms })
    })
  })
}

/**
 * `hive list` against the running daemon and `hive --help` as an operator runs them (the sh bin,
 * on the CLI's startup snapshot), `hive list` through the ES module bin, and node's own floor,
 * interleaved.
 */
async function benchCli(daemon: HiveDaemon, samples: number): Promise<CliFigures> {
  const env = { PATH: process.env.PATH, HOME: daemon.home, HIVE_HOME: daemon.home }
  const runs = {
    list: [HIVE_CLI, ['list']],
    help: [HIVE_CLI, ['--help']],
    list_esm: [process.execPath, [HIVE_ESM_BIN, 'list']],
    node_floor: [process.execPath, ['-e', '0']],
  } satisfies Record<string, [string, string[]]>
  const times = { list: [] as number[], help: [] as number[], list_esm: [] as number[], node_floor: [] as number[] }
  for (let i = 0; i < samples + Bench.WARMUP_RUNS; i++) {
    for (const [name, [command, args]] of Object.entries(runs) as [keyof typeof runs, [string, string[]]][]) {
      const { ms } = await timeProcess(command, args, env)
      if (i >= Bench.WARMUP_RUNS) times[name].push(ms)
    }
  }
  const peak = async ([command, args]: [string, string[]]) => median(await Promise.all([0, 1, 2].map(async () => (await timeProcess(command, args, env, true)).peakMb ?? NaN)))
  return {
    list: summarize(times.list),
    help: summarize(times.help),
    list_esm: summarize(times.list_esm),
    node_floor: summarize(times.node_floor),
    list_peak_rss_mb: await peak(runs.list),
    help_peak_rss_mb: await peak(runs.help),
    node_floor_peak_rss_mb: await peak(runs.node_floor),
  }
}

/** Every agent running, none in a turn, no mail waiting (the manager's spawn events handled). */
async function waitIdle(daemon: HiveDaemon, agents: number): Promise<void> {
  await until(`${agents} idle agents`, Bench.IDLE_TIMEOUT_MS, async () => {
    const list = await daemon.cliJson<AgentView[]>('list', '--json')
    const idle = list.filter((a) => a.state === 'running' && a.activity === 'idle' && a.unread === 0)
    return idle.length === agents && list.length === agents ? true : undefined
  })
}

/** Median VmRSS of each harness process of the hive over a few reads, by agent. */
async function harnessRss(home: string): Promise<Map<string, number>> {
  const reads = new Map<string, number[]>()
  for (let r = 0; r < Bench.RSS_READS; r++) {
    if (r > 0) await sleep(1000)
    for (const p of agentProcesses(home).filter((p) => p.harness)) {
      const mb = rssMb(p.pid)
      if (mb !== undefined) reads.set(p.agent, [...(reads.get(p.agent) ?? []), mb])
    }
  }
  return new Map([...reads].map(([agent, mbs]) => [agent, median(mbs)]))
}

/** The command claude starts for the `hyperhive` server: what the agent's turn loop wrote in its MCP config. */
function mcpCommandOf(home: string, agent: string): { command: string; args: string[] } {
  const config = JSON.parse(readFileSync(join(home, 'run', 'agents', agent, 'claude-mcp-config.json'), 'utf8')) as { mcpServers: Record<string, { command: string; args: string[] }> }
  const server = config.mcpServers.hyperhive
  if (!server) throw new Error(`no hyperhive server in ${agent}'s MCP config`)
  return server
}

/**
 * `hive-agent mcp` exactly as claude starts it (the agent's MCP config: a relay to the server its
 * `hive-agent serve` hosts): spawn, `initialize`, then `notifications/initialized` and
 * `tools/list`; the clock stops at the tools/list answer.
 */
function mcpColdStart({ command, args }: { command: string; args: string[] }, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = nowMs()
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error('hive-agent mcp did not answer tools/list within 30 s'))
    }, 30_000)
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d.slice(0, 4096)))
    const send = (message: object) => child.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...message }) + '\n')
    createInterface({ input: child.stdout }).on('line', (line) => {
      const reply = JSON.parse(line) as { id?: number; result?: { tools?: { name: string }[] }; error?: unknown }
      if (reply.error) return reject(new Error(`hive-agent mcp: ${JSON.stringify(reply.error)}`))
      if (reply.id === 1) {
        send({ method: 'notifications/initialized' })
        send({ id: 2, method: 'tools/list' })
      } else if (reply.id === 2) {
        const ms = nowMs() - t0
        clearTimeout(timer)
        const names = reply.result?.tools?.map((t) => t.name) ?? []
        if (!names.includes('send') || !names.includes('recv')) return reject(new Error(`tools/list lacks send/recv: ${names.join(',')}`))
        // claude ends a server by closing its stdin; it exits by itself.
        child.once('close', () => resolve(ms))
        child.stdin.end()
      }
    })
    child.once('exit', (code) => {
      if (code !== 0) {
        clearTimeout(timer)
        reject(new Error(`hive-agent mcp exited ${code}: ${stderr}`))
      }
    })
    send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'hive-bench', version: '0' } } })
  })
}

async function benchMcp(daemon: HiveDaemon, agent: string, samples: number): Promise<Pick<StartupResults['mcp'], 'cold_start' | 'node_floor'>> {
  const env = { PATH: process.env.PATH, HOME: daemon.home, HIVE_SOCKET: agentSocketPath(daemon.home, agent) }
  const mcpCommand = mcpCommandOf(daemon.home, agent)
  const cold: number[] = []
  const floor: number[] = []
  for (let i = 0; i < samples + Bench.WARMUP_RUNS; i++) {
    const ms = await mcpColdStart(mcpCommand, env)
    const node = (await timeProcess(process.execPath, ['-e', '0'], env)).ms
    if (i < Bench.WARMUP_RUNS) continue
    cold.push(ms)
    floor.push(node)
  }
  return { cold_start: summarize(cold), node_floor: summarize(floor) }
}

/** One message to `agent`, sent → acked by its turn loop; both times are the daemon's. */
async function hiveTurn(admin: Awaited<ReturnType<typeof connectAdmin>>, agent: string, body: string): Promise<{ ms: number; turnMs: number }> {
  const { ids } = await admin.call('send', { to: agent, body })
  const id = ids[0]
  const acked = await until(`message ${id} acked`, Bench.TURN_TIMEOUT_MS, async () => {
    await sleep(Bench.POLL_MS)
    const row = (await admin.call('recent_messages', { limit: 20 })).find((m) => m.id === id)
    return row?.acked_at != null ? row : undefined
  })
  const [turn] = await admin.call('turns', { name: agent, limit: 1 })
  if (!turn?.ok) throw new Error(`turn of ${agent} failed: ${turn?.error ?? 'no turn row'}`)
  return { ms: (acked.acked_at ?? NaN) - acked.sent_at, turnMs: turn.duration_ms }
}

/** The same prompt, the same model and fake, through `claude --print` alone: no hive, no MCP. */
function rawTurn(claudeBin: string, env: NodeJS.ProcessEnv, prompt: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = nowMs()
    const child = spawn(claudeBin, printModeArgs(Bench.MODEL), { env, stdio: ['pipe', 'pipe', 'pipe'] })
    const timer = setTimeout(() => child.kill('SIGKILL'), Bench.TURN_TIMEOUT_MS)
    let last = ''
    createInterface({ input: child.stdout }).on('line', (l) => (last = l))
    child.stderr.resume()
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      const ms = nowMs() - t0
      const result = (() => {
        try {
          return JSON.parse(last) as { type?: string; subtype?: string }
        } catch {
          return {}
        }
      })()
      if (code !== 0 || result.type !== 'result' || result.subtype !== 'success') return reject(new Error(`raw claude failed (${code}): ${last.slice(0, 500)}`))
      resolve(ms)
    })
    child.stdin.end(prompt)
  })
}

/** Turns through the hive and raw ones, alternating so that noise on the shared box hits both. */
async function benchTurns(daemon: HiveDaemon, fakeUrl: string, agent: string, turns: number): Promise<TurnFigures> {
  const rawHome = mkdtempSync(join(tmpdir(), 'hive-bench-raw-'))
  const tmp = join(rawHome, 'tmp')
  mkdirSync(tmp)
  // Isolated like an agent: its own HOME, config and temp dirs (claude writes into all of them).
  const rawEnv = {
    PATH: process.env.PATH,
    ...claudeTestEnv(fakeUrl),
    HOME: rawHome,
    CLAUDE_CONFIG_DIR: join(rawHome, '.claude'),
    TMPDIR: tmp,
    CLAUDE_CODE_TMPDIR: tmp,
    XDG_RUNTIME_DIR: rawHome,
    // As the turn loop runs it (serve-command.ts).
    ENABLE_TOOL_SEARCH: 'false',
  }
  const claudeBin = defaultClaudeBin()
  const admin = await connectAdmin(daemon.home)
  try {
    const hive: number[] = []
    const hiveTurns: number[] = []
    const raw: number[] = []
    for (let i = 0; i < turns + Bench.WARMUP_RUNS; i++) {
      const body = `bench turn ${i}: reply with one word.`
      const viaHive = await hiveTurn(admin, agent, body)
      const direct = await rawTurn(claudeBin, rawEnv, buildWakePrompt({ from: 'operator', body, redelivered: false }, 0))
      if (i < Bench.WARMUP_RUNS) continue
      hive.push(viaHive.ms)
      hiveTurns.push(viaHive.turnMs)
      raw.push(direct)
    }
    return {
      hive: summarize(hive),
      hive_turn: summarize(hiveTurns),
      raw: summarize(raw),
      overhead_p50_ms: Math.round(median(hive.map((ms, i) => ms - (raw[i] ?? NaN)))),
    }
  } finally {
    admin.close()
    rmSync(rawHome, { recursive: true, force: true })
  }
}

/**
 * Start-up and footprint of the harness, each beside its same-run baseline: the CLI against a
 * running daemon vs `node -e 0`, idle agent harnesses and the daemon holding them (process
 * runtime), `hive-agent mcp` to its first tools/list, and a turn through the hive vs raw claude.
 */
export async function benchStartup(size: StartupSize, step: (s: string) => void): Promise<StartupResults> {
  const fake = await startFakeAnthropic({ defaultText: 'Done.' })
  const daemon = new HiveDaemon(HiveDaemon.tempHome(), { ...claudeTestEnv(fake.url), LOG_LEVEL: 'info' })
  await daemon.start()
  try {
    const workers = Array.from({ length: size.agents }, (_, i) => `${Bench.WORKER_PREFIX}${i + 1}`)
    step(`startup: spawning ${workers.length} workers (process runtime) and waiting for every agent to idle`)
    for (const name of workers) {
      const spawned = await daemon.cli('spawn', name)
      if (spawned.code !== 0) throw new Error(`spawn ${name}: ${spawned.stderr}`)
    }
    await waitIdle(daemon, workers.length + 1)
    await sleep(Bench.SETTLE_MS)
    const idle = await harnessRss(daemon.home)
    const workerRss = workers.map((w) => idle.get(w)).filter((mb): mb is number => mb !== undefined)
    if (workerRss.length !== workers.length) throw new Error(`found ${workerRss.length} of ${workers.length} worker harnesses`)
    const daemonRss = rssMb(daemon.pid ?? -1)
    if (daemonRss === undefined) throw new Error('hive serve is gone')

    step(`startup: hive list / hive --help / node -e 0 (${size.cliSamples} each, interleaved)`)
    const cli = await benchCli(daemon, size.cliSamples)
    const turnAgent = workers[0] ?? 'manager'
    step(`startup: hive-agent mcp to tools/list (${size.mcpSamples})`)
    const mcp = await benchMcp(daemon, turnAgent, size.mcpSamples)
    step(`startup: ${size.turns} turns through the hive vs raw claude --print, same fake model`)
    const turn = await benchTurns(daemon, fake.url, turnAgent, size.turns)
    await waitIdle(daemon, workers.length + 1)
    await sleep(Bench.SETTLE_MS)
    const afterTurns = (await harnessRss(daemon.home)).get(turnAgent) ?? NaN
    return {
      cli: {
        list_wall_ms: Math.round(cli.list.p50_ms),
        node_floor_ms: Math.round(cli.node_floor.p50_ms),
        list_vs_node: Math.round((cli.list.p50_ms / cli.node_floor.p50_ms) * 100) / 100,
        help_wall_ms: Math.round(cli.help.p50_ms),
        list_esm_wall_ms: Math.round(cli.list_esm.p50_ms),
        ...cli,
      },
      agent: {
        idle_rss_mb: median(workerRss),
        idle_rss_max_mb: Math.max(...workerRss),
        workers: workerRss.length,
        manager_rss_mb: idle.get('manager') ?? NaN,
        after_turns_rss_mb: afterTurns,
      },
      daemon: { rss_mb_10_agents: daemonRss, agents: workers.length + 1 },
      mcp: { cold_start_ms: Math.round(mcp.cold_start.p50_ms), node_floor_ms: Math.round(mcp.node_floor.p50_ms), ...mcp },
      turn: { overhead_ms: turn.overhead_p50_ms, ...turn },
    }
  } finally {
    await daemon.stop()
    await fake.close()
    daemon.removeHome()
  }
}

/** The table rows of these figures: value, same-run baseline, target. */
export function startupRows(r: StartupResults): [string, string, string, string][] {
  return [
    ['cli.list_wall_ms', String(r.cli.list_wall_ms), `node -e 0: ${r.cli.node_floor_ms}`, `≤ 100 ms, ≤ 2.5× node (${r.cli.list_vs_node}×)`],
    ['cli.help_wall_ms', String(r.cli.help_wall_ms), `node -e 0: ${r.cli.node_floor_ms}`, ''],
    ['cli.list_esm_wall_ms', String(r.cli.list_esm_wall_ms), 'without the snapshot', ''],
    ['cli.list_peak_rss_mb', String(r.cli.list_peak_rss_mb), `node -e 0: ${r.cli.node_floor_peak_rss_mb}`, ''],
    ['agent.idle_rss_mb', String(r.agent.idle_rss_mb), `max ${r.agent.idle_rss_max_mb}, after turns ${r.agent.after_turns_rss_mb}`, '≤ 50 MB'],
    ['daemon.rss_mb_10_agents', String(r.daemon.rss_mb_10_agents), `${r.daemon.agents} agents with the manager`, ''],
    ['mcp.cold_start_ms', String(r.mcp.cold_start_ms), `node -e 0: ${r.mcp.node_floor_ms}`, '≤ 150 ms'],
    ['turn.overhead_ms', String(r.turn.overhead_ms), `raw ${Math.round(r.turn.raw.p50_ms)}, hive ${Math.round(r.turn.hive.p50_ms)}`, 'p50 ≤ 150 ms'],
  ]
}
