import { setTimeout as sleep } from 'node:timers/promises'
import type { adminOps, JsonLinesClient } from '@hive/mcp'
import { connectAdmin } from '../apps/harness/test/support/sockets.ts'
import type { AckedSend } from './soak-audit.ts'
import { SOAK_TOKEN_PREFIX } from './soak-stub-claude.ts'

const Sender = {
  /** A send (or connect) the daemon has not answered in this long counts as unacknowledged. */
  CALL_TIMEOUT_MS: 10_000,
} as const

export interface SendReport {
  acked: AckedSend[]
  /** Tokens whose send got no answer (the daemon was down or died while answering). */
  unacknowledged: string[]
  /** Why, counted per error text. */
  reasons: Record<string, number>
  spanS: number
}

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    promise,
    sleep(Sender.CALL_TIMEOUT_MS, undefined, { ref: false }).then(() => {
      throw new Error(`${what}: no answer in ${Sender.CALL_TIMEOUT_MS} ms`)
    }),
  ])
}

/**
 * The operator sending `soak-<n>` round-robin to the agents, paced evenly over `spanMs`. A send
 * that fails (the daemon is down) is not retried: it is unacknowledged, and the next one
 * reconnects. Only a send the daemon answered is the daemon's to deliver.
 */
export async function sendPaced(home: string, agents: readonly string[], messages: number, spanMs: number): Promise<SendReport> {
  const report: SendReport = { acked: [], unacknowledged: [], reasons: {}, spanS: 0 }
  let client: JsonLinesClient<typeof adminOps> | undefined
  const intervalMs = spanMs / messages
  const t0 = performance.now()
  for (let n = 0; n < messages; n++) {
    const due = t0 + n * intervalMs
    const ahead = due - performance.now()
    if (ahead > 0) await sleep(ahead)
    const token = `${SOAK_TOKEN_PREFIX}${n}`
    const agent = agents[n % agents.length] ?? ''
    try {
      client ??= await bounded(connectAdmin(home), 'connect')
      const { ids } = await bounded(client.call('send', { to: agent, body: token }), 'send')
      const id = ids[0]
      if (ids.length !== 1 || id === undefined) throw new Error(`send answered ${ids.length} ids`)
      report.acked.push({ token, agent, id })
    } catch (e) {
      report.unacknowledged.push(token)
      const reason = (e as Error).message.replace(/\d+/g, 'N')
      report.reasons[reason] = (report.reasons[reason] ?? 0) + 1
      client?.close()
      client = undefined
    }
  }
  client?.close()
  report.spanS = Math.round((performance.now() - t0) / 100) / 10
  return report
}
