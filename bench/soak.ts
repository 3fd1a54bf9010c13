import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { HiveDaemon } from '../apps/harness/test/support/hive-daemon.ts'
import { agentProcesses, rssMb } from './process-probe.ts'
import { auditSoak, type SoakAudit } from './soak-audit.ts'
import { sendPaced } from './soak-sender.ts'
import { SOAK_TOKEN_PREFIX, writeStubClaude } from './soak-stub-claude.ts'

export interface SoakSize {
  agents: number
  messages: number
  /** Sending is spread evenly over this long. */
  sendSeconds: number
  /** Daemon SIGKILLs, spread evenly over the sending. */
  kills: number
  /** Model outage windows, between the kills. */
  outages: number
  outageSeconds: number
  /** After the last send, how long every accepted message gets to be handled. */
  drainSeconds: number
}

const Soak = {
  /** How long an agent of a killed daemon may outlive it before it counts as an orphan. */
  ORPHAN_GRACE_MS: 5_000,
  RSS_SAMPLE_MS: 1_000,
  /** One RSS value per this many samples goes into the results as a time series. */
  RSS_SERIES_EVERY: 30,
  DRAIN_POLL_MS: 1_000,
} as const

export interface SoakResult extends Omit<SoakAudit, 'examples' | 'send_to_ack'> {
  model: string
  agents: number
  messages: number
  acked_sends: number
  unacknowledged_sends: number
  unacknowledged_reasons: Record<string, number>
  daemon_kills: number
  daemon_downtime_s: number[]
  outage_windows: number
  outage_window_s: number
  duration_s: number
  send_span_s: number
  drain_s: number
  drained: boolean
  send_to_ack_p50_ms: number
  send_to_ack_p99_ms: number
  daemon_rss_max_mb: number
  daemon_rss_end_mb: number
  /** Max and last RSS of each daemon life (a life ends at a kill): bounded means no life grows. */
  daemon_rss_by_life_mb: { max: number; last: number }[]
  daemon_rss_series_mb: number[]
  orphans: number
  /** Per kill: ms until no process of the killed daemon's agents was left (null: orphans had to be killed). */
  agents_gone_after_kill_ms: (number | null)[]
  /** Lines the daemon's unhandled-error guards logged (each one a bug). */
  daemon_unhandled_errors: string[]
  /** Kept when something was lost or duplicated unflagged, for the log hunt; else removed. */
  home_kept: string | null
  examples?: SoakAudit['examples']
}

/** Daemon RSS every second, per daemon life. */
class RssSampler {
  readonly lives: { max: number; last: number }[] = []
  readonly series: number[] = []
  private samples = 0
  private readonly timer: NodeJS.Timeout

  constructor(private readonly daemon: HiveDaemon) {
    this.timer = setInterval(() => this.sample(), Soak.RSS_SAMPLE_MS)
  }

  newLife(): void {
    this.lives.push({ max: 0, last: 0 })
  }

  sample(): void {
    const life = this.lives.at(-1)
    const pid = this.daemon.pid
    const mb = pid === undefined ? undefined : rssMb(pid)
    if (!life || mb === undefined) return
    life.max = Math.max(life.max, mb)
    life.last = mb
    if (this.samples++ % Soak.RSS_SERIES_EVERY === 0) this.series.push(mb)
  }

  dispose(): void {
    clearInterval(this.timer)
  }
}

/** Soak rows not yet acked nor dead-lettered (read beside the running daemon; WAL allows it). */
function pendingRows(home: string, agents: readonly string[]): number {
  const db = new Database(join(home, 'hive.db'), { readonly: true, timeout: 5_000 })
  try {
    const row = db
      .prepare(
        `SELECT count(*) AS n FROM "Message" WHERE "recipient" IN (SELECT "value" FROM json_each(?))
         AND "body" LIKE '${SOAK_TOKEN_PREFIX}%' AND "ackedAt" IS NULL AND "deadLetteredAt" IS NULL`,
      )
      .get(JSON.stringify(agents)) as { n: number }
    return row.n
  } finally {
    db.close()
  }
}

async function cli(daemon: HiveDaemon, ...args: string[]): Promise<void> {
  const r = await daemon.cli(...args)
  if (r.code !== 0) throw new Error(`hive ${args.join(' ')} failed (${r.code}): ${r.stderr}`)
}

/**
 * The soak: the real daemon and the real `hive-agent serve` per agent (process runtime), with a
 * stub in place of claude + the model (soak-stub-claude.ts says why). Paced sends, daemon
 * SIGKILLs and model outages; then every message the daemon accepted must have been handled, and
 * every one handled twice must have been flagged redelivered.
 */
export async function runSoak(size: SoakSize, step: (s: string) => void): Promise<SoakResult> {
  const stubDir = mkdtempSync(join(tmpdir(), 'hive-soak-stub-'))
  const stub = writeStubClaude(stubDir)
  const daemon = new HiveDaemon(HiveDaemon.tempHome(), { HIVE_CLAUDE_BIN: stub.bin, LOG_LEVEL: 'info' })
  const home = daemon.home
  const agents = Array.from({ length: size.agents }, (_, i) => `soak${i}`)
  const rss = new RssSampler(daemon)
  const guardErrors = new Set<string>()
  const downtimes: number[] = []
  const goneAfterMs: (number | null)[] = []
  let orphans = 0
  const survive = async (what: Promise<void>) => {
    try {
      await what
    } catch (e) {
      // HiveDaemon reports lines of the daemon's unhandled-error guards this way: a finding, not a reason to stop.
      for (const line of (e as Error).message.split('\n').slice(1)) guardErrors.add(line)
    }
  }
  /** Agents of the killed daemon still alive after the grace: counted, then killed so the soak goes on. */
  const reapOrphans = async (): Promise<number | null> => {
    const since = Date.now()
    let left = agentProcesses(home)
    while (left.length > 0 && Date.now() - since < Soak.ORPHAN_GRACE_MS) {
      await sleep(50)
      left = agentProcesses(home)
    }
    if (left.length === 0) return Date.now() - since
    const names = new Set(left.filter((p) => p.harness).map((p) => p.agent))
    orphans += names.size
    step(`  ${names.size} agent harness(es) and ${left.length} process(es) outlived the killed daemon by ${Soak.ORPHAN_GRACE_MS} ms: ${[...names].join(', ')} (killing them)`)
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL')
      } catch {
        // ESRCH: it exited after all.
      }
    }
    return null
  }

  const startedAt = Date.now()
  let result: SoakResult | undefined
  try {
    rss.newLife()
    await daemon.start()
    // The manager would take turns on every spawn event; the soak measures the agents' traffic only.
    await cli(daemon, 'kill', 'manager')
    for (const name of agents) await cli(daemon, 'spawn', name, '--description', 'soak')

    const spanMs = size.sendSeconds * 1000
    const schedule = [
      ...Array.from({ length: size.kills }, (_, i) => ({ atMs: ((i + 1) / (size.kills + 1)) * spanMs, kind: 'kill' as const })),
      ...Array.from({ length: size.outages }, (_, i) => ({ atMs: ((i + 0.5) / (size.kills + 1)) * spanMs, kind: 'outage' as const })),
    ].sort((a, b) => a.atMs - b.atMs)
    const t0 = Date.now()
    const scenario = (async () => {
      for (const event of schedule) {
        const wait = t0 + event.atMs - Date.now()
        if (wait > 0) await sleep(wait)
        if (event.kind === 'outage') {
          step(`  ${Math.round((Date.now() - t0) / 1000)} s: model outage for ${size.outageSeconds} s`)
          writeFileSync(stub.outageFlag, '')
          await sleep(size.outageSeconds * 1000)
          rmSync(stub.outageFlag, { force: true })
        } else {
          step(`  ${Math.round((Date.now() - t0) / 1000)} s: SIGKILL the daemon`)
          const down = Date.now()
          await survive(daemon.crash())
          goneAfterMs.push(await reapOrphans())
          rss.newLife()
          await daemon.start()
          downtimes.push(Math.round((Date.now() - down) / 100) / 10)
        }
      }
    })()
    step(`  sending ${size.messages} messages to ${size.agents} agents over ${size.sendSeconds} s`)
    const [sent] = await Promise.all([sendPaced(home, agents, size.messages, spanMs), scenario])

    step(`  sent: ${sent.acked.length} acked, ${sent.unacknowledged.length} unacknowledged; draining (≤ ${size.drainSeconds} s)`)
    const drainFrom = Date.now()
    let pending = pendingRows(home, agents)
    while (pending > 0 && Date.now() - drainFrom < size.drainSeconds * 1000) {
      await sleep(Soak.DRAIN_POLL_MS)
      pending = pendingRows(home, agents)
    }
    const drainS = Math.round((Date.now() - drainFrom) / 100) / 10
    const durationS = Math.round((Date.now() - t0) / 100) / 10
    rss.sample()
    rss.dispose() // the figures end here, before the daemon's shutdown
    const rssEnd = rss.lives.at(-1)?.last ?? 0
    await survive(daemon.stop())
    await reapOrphans()

    const audit = auditSoak(home, agents, sent.acked, sent.unacknowledged)
    const faulty = audit.lost > 0 || audit.duplicates_unflagged > 0 || audit.dropped > 0 || audit.misrouted > 0 || pending > 0
    const { examples, send_to_ack, ...figures } = audit
    writeFileSync(join(home, 'daemon.log'), daemon.log())
    result = {
      model: 'STUB: /bin/sh stand-in for claude + model (real CLI ≈ 1–2 s CPU/turn; 20 000 turns cannot fit on 2 cores); daemon and hive-agent are real',
      agents: size.agents,
      messages: size.messages,
      acked_sends: sent.acked.length,
      unacknowledged_sends: sent.unacknowledged.length,
      unacknowledged_reasons: sent.reasons,
      daemon_kills: size.kills,
      daemon_downtime_s: downtimes,
      outage_windows: size.outages,
      outage_window_s: size.outageSeconds,
      duration_s: durationS,
      send_span_s: sent.spanS,
      drain_s: drainS,
      drained: pending === 0,
      ...figures,
      send_to_ack_p50_ms: send_to_ack.p50_ms,
      send_to_ack_p99_ms: send_to_ack.p99_ms,
      daemon_rss_max_mb: Math.max(...rss.lives.map((l) => l.max)),
      daemon_rss_end_mb: rssEnd,
      daemon_rss_by_life_mb: rss.lives,
      daemon_rss_series_mb: rss.series,
      orphans,
      agents_gone_after_kill_ms: goneAfterMs,
      daemon_unhandled_errors: [...guardErrors],
      home_kept: faulty ? home : null,
      ...(faulty ? { examples } : {}),
    }
    step(`  audited in ${Math.round((Date.now() - startedAt) / 1000)} s total`)
    return result
  } finally {
    rss.dispose()
    rmSync(stub.outageFlag, { force: true })
    await survive(daemon.stop())
    for (const p of agentProcesses(home)) {
      try {
        process.kill(p.pid, 'SIGKILL')
      } catch {
        // ESRCH: already gone.
      }
    }
    if (result?.home_kept === null) daemon.removeHome()
    if (!result) {
      writeFileSync(join(home, 'daemon.log'), daemon.log())
      step(`  the soak failed; its home (daemon.log, logs/, hive.db) is kept at ${home}`)
    }
    rmSync(stubDir, { recursive: true, force: true })
  }
}
