import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { claudeTestEnv, startFakeAnthropic } from '@hive/testkit'
import { InstallPaths } from '../apps/harness/src/adapters/install-paths.ts'
import { findStubInit, nspawnWorksHere } from '../apps/harness/test/support/containers.ts'
import { HiveDaemon } from '../apps/harness/test/support/hive-daemon.ts'
import { agentSocketPath, connectAdmin } from '../apps/harness/test/support/sockets.ts'
import { SystemdTestbed, systemdTestbedHere } from '../apps/harness/test/support/systemd-testbed.ts'
import { nowMs, summarize, type Latency } from './stats.ts'

const Bench = {
  /** ms a spawned agent gets to connect to its socket before the sample fails. */
  CONNECT_MS: 60_000,
  /** ms between looks at the container's unix socket table (and at the database for a crash event). */
  POLL_MS: 5,
  /** ms a crash event gets to arrive before the sample fails. */
  CRASH_MS: 10_000,
} as const

interface ContainersSize {
  /** Spawns measured per launch path. */
  starts: number
  /** Units killed behind the daemon's back. */
  crashes: number
}

export interface ContainersBench {
  /** `spawn` on the admin socket → the agent's socket has a connection: nspawn as a supervised child. */
  nspawn_start_ms: Latency | null
  /** Of that, the spawn operation itself (agent dirs, config repos, rows, launch), as a child and as a unit. */
  spawn_op_ms: Latency | null
  unit_spawn_op_ms: Latency | null
  /** The same with the container as a transient unit of a real systemd (the booted testbed). */
  nspawn_unit_start_ms: Latency | null
  /** `systemctl kill --signal=KILL` started → container_crash stored for the manager (its sentAt). */
  crash_event_ms: Latency | null
  /** Why a figure is missing. */
  skipped: string[]
}

/**
 * Whether the agent's socket has an accepted connection from inside its container. The kernel
 * puts the server's end of a unix connection in the client's network namespace (the container's
 * private one), listed there under the listener's path with state 03 (connected).
 */
function connectedFrom(init: number, path: string): boolean {
  try {
    return readFileSync(`/proc/${init}/net/unix`, 'utf8')
      .split('\n')
      .some((line) => {
        const f = line.trim().split(/\s+/)
        return f[7] === path && f[5] === '03'
      })
  } catch {
    return false // the container is gone (or not yet there)
  }
}

async function untilConnected(home: string, agent: string): Promise<void> {
  const deadline = Date.now() + Bench.CONNECT_MS
  const path = agentSocketPath(home, agent)
  let init: number | undefined
  for (;;) {
    init ??= findStubInit(home, agent)
    if (init !== undefined && connectedFrom(init, path)) return
    if (Date.now() > deadline) throw new Error(`nothing connected to ${path} in ${Bench.CONNECT_MS} ms`)
    await sleep(Bench.POLL_MS)
  }
}

/** The stored time (ms since the epoch) of the newest container_crash about `agent` after row `afterId`. */
function crashSentAt(home: string, agent: string, afterId: number): { id: number; sentAt: number } | undefined {
  const db = new Database(`${home}/hive.db`, { readonly: true })
  try {
    const rows = db
      .prepare(`SELECT id, body, "sentAt" AS sentAt FROM "Message" WHERE sender = 'system' AND id > ? AND body LIKE '%"container_crash"%' ORDER BY id`)
      .all(afterId) as { id: number; body: string; sentAt: number }[]
    return rows.find((r) => (JSON.parse(r.body) as { agent?: string }).agent === agent)
  } finally {
    db.close()
  }
}

/** A daemon with the nspawn runtime and its manager stopped (no turns compete with the samples). */
async function withHive<T>(env: Record<string, string>, home: string, run: (daemon: HiveDaemon) => Promise<T>): Promise<T> {
  const fake = await startFakeAnthropic({ scripts: [], defaultText: 'Noted.' })
  const daemon = new HiveDaemon(home, { ...claudeTestEnv(fake.url), HIVE_RUNTIME: 'nspawn', LOG_LEVEL: 'warn', ...env })
  try {
    await daemon.start()
    const killed = await daemon.cli('kill', 'manager')
    if (killed.code !== 0) throw new Error(killed.stderr)
    return await run(daemon)
  } finally {
    await daemon.stop()
    await fake.close()
    daemon.removeHome()
  }
}

/** Spawn → connected (and spawn → the operation's answer), `n` times, each agent purged before the next. */
async function startSamples(daemon: HiveDaemon, n: number): Promise<{ connected: Latency; op: Latency }> {
  const admin = await connectAdmin(daemon.home)
  try {
    const connected: number[] = []
    const op: number[] = []
    for (let i = 0; i < n; i++) {
      const name = `bench-${i}`
      const started = nowMs()
      await admin.call('spawn', { name })
      op.push(nowMs() - started)
      await untilConnected(daemon.home, name)
      connected.push(nowMs() - started)
      await admin.call('destroy', { name, purge: true })
    }
    return { connected: summarize(connected), op: summarize(op) }
  } finally {
    admin.close()
  }
}

/** systemctl kill of a running unit → its container_crash in the database, `n` times. */
async function crashSamples(daemon: HiveDaemon, bed: SystemdTestbed, n: number): Promise<Latency> {
  const admin = await connectAdmin(daemon.home)
  try {
    const name = 'victim'
    await admin.call('spawn', { name })
    const samples: number[] = []
    let lastId = 0
    for (let i = 0; i < n; i++) {
      await untilConnected(daemon.home, name)
      // Wall clock on both sides: the daemon stamps sentAt with Date.now() on the same host.
      const killedAt = Date.now()
      await bed.exec(['systemctl', 'kill', '--signal=KILL', `hive-agent@${name}.service`])
      const deadline = Date.now() + Bench.CRASH_MS
      let crash = crashSentAt(daemon.home, name, lastId)
      while (crash === undefined) {
        if (Date.now() > deadline) throw new Error(`no container_crash for ${name} in ${Bench.CRASH_MS} ms`)
        await sleep(Bench.POLL_MS)
        crash = crashSentAt(daemon.home, name, lastId)
      }
      samples.push(crash.sentAt - killedAt)
      lastId = crash.id
      await admin.call('start', { name })
    }
    return summarize(samples)
  } finally {
    admin.close()
  }
}

/**
 * Acceptance 5 of the hosts issue: how long an nspawn agent takes from spawn to its socket, as a
 * supervised child here and as a unit of a real systemd (the testbed), and how fast a unit killed
 * behind the daemon's back reaches the manager. Figures it cannot take here are null, with why.
 */
export async function benchContainers(size: ContainersSize, step: (s: string) => void): Promise<ContainersBench> {
  const result: ContainersBench = { nspawn_start_ms: null, spawn_op_ms: null, unit_spawn_op_ms: null, nspawn_unit_start_ms: null, crash_event_ms: null, skipped: [] }
  if (!nspawnWorksHere('containers bench')) {
    result.skipped.push('nspawn cannot run containers here (root and systemd-container needed)')
    return result
  }
  step(`containers: ${size.starts} spawns → socket connected, nspawn as a supervised child`)
  const child = await withHive({}, HiveDaemon.tempHome(), (daemon) => startSamples(daemon, size.starts))
  result.nspawn_start_ms = child.connected
  result.spawn_op_ms = child.op

  if (!systemdTestbedHere('containers bench (units)')) {
    result.skipped.push('no systemd testbed here (systemd, dbus and root needed): no unit figures')
    return result
  }
  const home = HiveDaemon.tempHome()
  step('containers: booting the systemd testbed')
  const bed = await SystemdTestbed.boot({ readWrite: [home], readOnly: [InstallPaths.PROJECT_ROOT, '/etc/ssl/certs', '/etc/alternatives'] })
  try {
    await withHive({ DBUS_SYSTEM_BUS_ADDRESS: bed.busAddress }, home, async (daemon) => {
      step(`containers: ${size.starts} spawns → socket connected, nspawn as a transient unit of the testbed's systemd`)
      const unit = await startSamples(daemon, size.starts)
      result.nspawn_unit_start_ms = unit.connected
      result.unit_spawn_op_ms = unit.op
      step(`containers: ${size.crashes} × systemctl kill → container_crash stored`)
      result.crash_event_ms = await crashSamples(daemon, bed, size.crashes)
    })
  } finally {
    await bed.stop()
  }
  return result
}

/** The `containers` entry of results.json: the headline figures (p50) beside their full summaries. */
export function containersFigures(bench: ContainersBench) {
  return {
    nspawn_start_ms: bench.nspawn_start_ms?.p50_ms ?? null,
    nspawn_unit_start_ms: bench.nspawn_unit_start_ms?.p50_ms ?? null,
    crash_event_ms: bench.crash_event_ms?.p50_ms ?? null,
    nspawn_start: bench.nspawn_start_ms,
    nspawn_unit_start: bench.nspawn_unit_start_ms,
    spawn_op: bench.spawn_op_ms,
    unit_spawn_op: bench.unit_spawn_op_ms,
    crash_event: bench.crash_event_ms,
    skipped: bench.skipped,
  }
}

/** Table rows for run.ts. */
export function containersRows(bench: ContainersBench): [string, string, string, string][] {
  const row = (name: string, l: Latency | null, target: string, op?: Latency | null): [string, string, string, string] => [
    `containers.${name}`,
    l === null ? 'skipped' : String(Math.round(l.p50_ms)),
    l === null ? '' : `p95 ${Math.round(l.p95_ms)} (n ${l.n})${op ? `, op ${Math.round(op.p50_ms)}` : ''}`,
    target,
  ]
  return [
    row('nspawn_start_ms', bench.nspawn_start_ms, '< 1000 ms', bench.spawn_op_ms),
    row('nspawn_unit_start_ms', bench.nspawn_unit_start_ms, '< 1000 ms', bench.unit_spawn_op_ms),
    row('crash_event_ms', bench.crash_event_ms, 'each < 1000 ms'),
  ]
}
