// `npm run bench [-- --quick]`: measured figures beside their same-run baselines, into
// bench/results.json and a table on stdout. `npm run bench -- --soak [--quick]` runs only the
// soak (bench/soak.ts) and replaces only `soak` in results.json; `-- --containers [--quick]` likewise
// runs only the container figures (bench/containers-bench.ts) and replaces `containers`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { benchRecv, benchSends, benchWake } from './broker-bench.ts'
import { benchEventToBrowser } from './dashboard-bench.ts'
import { benchGateway } from './gateway-bench.ts'
import { benchContainers, containersFigures, containersRows } from './containers-bench.ts'
import { benchPty } from './pty-bench.ts'
import { runSoak, type SoakSize } from './soak.ts'
import { benchStartup, startupRows } from './startup-bench.ts'

const quick = process.argv.includes('--quick')
const file = fileURLToPath(new URL('./results.json', import.meta.url))
const step = (s: string) => process.stdout.write(`◆ ${s}\n`)
const previous = (): Record<string, unknown> => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {})
const printTable = (rows: [string, string, string, string][]) => {
  const w = [36, 12, 22, 22]
  process.stdout.write('\n' + rows.map((r) => r.map((c, i) => c.padEnd(w[i] ?? 0)).join(' ')).join('\n') + `\n\nwrote ${file}\n`)
}

if (process.argv.includes('--soak')) await benchSoak()
else if (process.argv.includes('--containers')) await benchContainersOnly()
else await benchAll()

function runContainers() {
  return benchContainers(quick ? { starts: 3, crashes: 3 } : { starts: 10, crashes: 10 }, step)
}

async function benchContainersOnly(): Promise<void> {
  const containers = await runContainers()
  writeFileSync(file, JSON.stringify({ ...previous(), containers: containersFigures(containers) }, null, 2) + '\n')
  printTable(containersRows(containers))
}

async function benchSoak(): Promise<void> {
  // Drain bound: on the 2-core dev host 10 agents handled ≈ 18 turns/s (stub claude; the harness's
  // own ~30 ms CPU per turn), below the 33/s sent, so a backlog is still being worked off after sending.
  const size: SoakSize = quick
    ? { agents: 2, messages: 600, sendSeconds: 60, kills: 1, outages: 1, outageSeconds: 10, drainSeconds: 120 }
    : { agents: 10, messages: 20_000, sendSeconds: 610, kills: 3, outages: 3, outageSeconds: 20, drainSeconds: 900 }
  step(`soak: ${size.agents} agents, ${size.messages} messages over ${size.sendSeconds} s, ${size.kills} daemon SIGKILLs, ${size.outages} model outages of ${size.outageSeconds} s`)
  step('soak: the real daemon and hive-agent, with a /bin/sh STUB in place of claude + the model (the real CLI costs 1–2 s CPU per turn)')
  const soak = { generated_at: new Date().toISOString(), quick, ...(await runSoak(size, step)) }
  writeFileSync(file, JSON.stringify({ ...previous(), soak }, null, 2) + '\n')
  printTable([
    ['soak.acked_sends', String(soak.acked_sends), `unacked ${soak.unacknowledged_sends}`, ''],
    ['soak.lost', String(soak.lost), '', '0'],
    ['soak.dropped', String(soak.dropped), `dead letters ${soak.dead_letters}`, '0'],
    ['soak.duplicates', String(soak.duplicates), `unflagged ${soak.duplicates_unflagged}`, 'unflagged 0'],
    ['soak.daemon_rss_max_mb', String(soak.daemon_rss_max_mb), `end ${soak.daemon_rss_end_mb}`, 'bounded'],
    ['soak.integrity_check', soak.integrity_check, '', 'ok'],
    ['soak.orphans', String(soak.orphans), `kills ${soak.daemon_kills}`, '0'],
    ['soak.duration_s', String(soak.duration_s), `sending ${soak.send_span_s}`, '≥ 600'],
    ['soak.throughput_per_s', String(soak.throughput_per_s), `p99 ack ${soak.send_to_ack_p99_ms} ms`, ''],
  ])
  if (soak.home_kept) step(`soak: faults found; the hive home is kept at ${soak.home_kept}`)
}

async function benchAll(): Promise<void> {
  const size = quick
    ? { sends: 5_000, wake: 300, bigRows: 1_000_000, lookups: 5_000, browser: 40, echo: 300, flood: 30_000_000, rounds: 3, ptyRounds: 3, ttft: 300, stream: 50_000_000 }
    : { sends: 20_000, wake: 2_000, bigRows: 1_000_000, lookups: 20_000, browser: 200, echo: 1000, flood: 150_000_000, rounds: 5, ptyRounds: 9, ttft: 1000, stream: 200_000_000 }

  step(`broker sends (${size.sends} each, broker vs raw better-sqlite3)`)
  const sends = await benchSends(size.sends)
  step(`broker wake latency through the daemon (${size.wake} samples)`)
  const wake = await benchWake(size.wake)
  step('recv on 1k rows')
  const recvSmall = await benchRecv(1_000, 10, size.lookups)
  step(`recv on ${size.bigRows.toLocaleString()} rows`)
  const recvBig = await benchRecv(size.bigRows, 10_000, size.lookups)

  step(`dashboard: broker send → row visible in Chromium (${size.browser} samples)`)
  const browser = await benchEventToBrowser(size.browser)

  step(`terminals: echo (${size.echo}), ^C under flood, ${size.flood / 1e6} MB floods: ours, wetty, node-pty in-process (median of ${size.ptyRounds})`)
  // Nine rounds: on two cores a round varies ±12 %, and the target is a ratio of medians.
  const term = await benchPty({ echoSamples: size.echo, floodBytes: size.flood, rounds: size.ptyRounds })
  const round2 = (x: number) => Math.round(x * 100) / 100

  step(`model gateway: first SSE byte (${size.ttft} samples) and ${size.stream / 1e6} MB streams through gateway + forwarder vs direct`)
  const gateway = await benchGateway({ samples: size.ttft, streamBytes: size.stream, rounds: size.rounds })

  // Ten idle workers in both sizes: daemon.rss_mb_10_agents is a figure of exactly that hive.
  const startup = await benchStartup(quick ? { agents: 10, cliSamples: 10, mcpSamples: 10, turns: 5 } : { agents: 10, cliSamples: 30, mcpSamples: 20, turns: 20 }, step)

  const containers = await runContainers()

  const results = {
    generated_at: new Date().toISOString(),
    quick,
    node: process.version,
    broker: {
      sends_per_s: sends.broker,
      raw_sqlite_sends_per_s: sends.raw,
      sends_vs_raw: Math.round((sends.broker / sends.raw) * 100) / 100,
      wake_p50_ms: wake.p50_ms,
      wake_p99_ms: wake.p99_ms,
      wake: wake,
      recv_1k_p50_ms: recvSmall.p50_ms,
      recv_1m_p50_ms: recvBig.p50_ms,
      recv_1m_vs_1k: Math.round((recvBig.p50_ms / recvSmall.p50_ms) * 100) / 100,
      recv_1k: recvSmall,
      recv_1m: recvBig,
    },
    pty: {
      echo_p50_ms: term.echo.p50_ms,
      echo_p99_ms: term.echo.p99_ms,
      direct_echo_p50_ms: term.directEcho.p50_ms,
      direct_echo_p99_ms: term.directEcho.p99_ms,
      throughput_mb_s: round2(term.throughputMBs),
      wetty_throughput_mb_s: round2(term.wettyThroughputMBs),
      throughput_vs_wetty: round2(term.throughputMBs / term.wettyThroughputMBs),
      direct_throughput_mb_s: round2(term.directThroughputMBs),
      throughput_vs_direct: round2(term.throughputMBs / term.directThroughputMBs),
      server_cpu_s_per_100mb: round2(term.serverCpuSPer100MB),
      wetty_server_cpu_s_per_100mb: round2(term.wettyServerCpuSPer100MB),
      throughput_rounds: Object.fromEntries(
        Object.entries(term.throughputRounds).map(([side, runs]) => [side, runs.map((r) => ({ mb_s: round2(r.mbPerS), server_cpu_s_per_100mb: round2(r.serverCpuSPer100MB) }))]),
      ),
      ctrl_c_ms: round2(term.ctrlCMs),
      bytes_lost: term.bytesLost,
      flood_bytes: size.flood,
    },
    gateway,
    ...startup,
    containers: containersFigures(containers),
    dashboard: {
      event_to_browser_p50_ms: browser.p50_ms,
      event_to_browser_p95_ms: browser.p95_ms,
      event_to_browser: browser,
    },
  }
  // The soak runs on its own (`--soak`): its figures stay.
  const { soak } = previous()
  writeFileSync(file, JSON.stringify({ ...results, ...(soak === undefined ? {} : { soak }) }, null, 2) + '\n')

  const b = results.broker
  const rows: [string, string, string, string][] = [
    ['broker.sends_per_s', String(b.sends_per_s), `raw ${b.raw_sqlite_sends_per_s}`, `≥ 0.5× raw (${b.sends_vs_raw}×)`],
    ['broker.wake_p50_ms', String(b.wake_p50_ms), '', '< 2 ms'],
    ['broker.wake_p99_ms', String(b.wake_p99_ms), '', '< 10 ms'],
    ['broker.recv_1m_p50_ms', String(b.recv_1m_p50_ms), `1k rows ${b.recv_1k_p50_ms}`, `≤ 2× 1k (${b.recv_1m_vs_1k}×)`],
    ['pty.echo_p50_ms', String(results.pty.echo_p50_ms), `direct ${results.pty.direct_echo_p50_ms}`, '≤ 0.5 ms'],
    ['pty.echo_p99_ms', String(results.pty.echo_p99_ms), `direct ${results.pty.direct_echo_p99_ms}`, '≤ 5 ms'],
    ['pty.throughput_mb_s', String(results.pty.throughput_mb_s), `direct ${results.pty.direct_throughput_mb_s}, wetty ${results.pty.wetty_throughput_mb_s}`, `≥ 0.9× direct (${results.pty.throughput_vs_direct}×)`],
    ['pty.server_cpu_s_per_100mb', String(results.pty.server_cpu_s_per_100mb), `wetty ${results.pty.wetty_server_cpu_s_per_100mb}`, ''],
    ['pty.ctrl_c_ms', String(results.pty.ctrl_c_ms), '', '< 200 ms'],
    ['pty.bytes_lost', String(results.pty.bytes_lost), '', '0'],
    ['gateway.ttft_overhead_p50_ms', String(gateway.ttft_overhead_p50_ms), `direct p50 ${gateway.ttft_direct_p50_ms}`, '< 2 ms'],
    ['gateway.throughput_ratio', String(gateway.throughput_ratio), `direct ${gateway.direct_mb_s} MB/s`, '≥ 0.95'],
    ['dashboard.event_to_browser_p95_ms', String(results.dashboard.event_to_browser_p95_ms), `p50 ${results.dashboard.event_to_browser_p50_ms}`, '< 100 ms'],
    ...startupRows(startup),
    ...containersRows(containers),
  ]
  printTable(rows)
}
