import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { HANDLED_LOG, SOAK_TOKEN_PREFIX } from './soak-stub-claude.ts'
import { summarize, type Latency } from './stats.ts'

/** A send the daemon answered: the message is its to keep. */
export interface AckedSend {
  token: string
  agent: string
  id: number
}

interface Row {
  id: number
  recipient: string
  body: string
  sentAt: number
  ackedAt: number | null
  redelivered: number
  attempts: number
  deadLetteredAt: number | null
  lastError: string | null
}

/** At most this many examples of each kind of fault go into the results (ids for the log hunt). */
const EXAMPLES = 20

export interface SoakAudit {
  /** Acked sends never handled, or whose row is missing or not acked. */
  lost: number
  /** Rows acked in the database whose token no agent handled, plus dead letters. */
  dropped: number
  dead_letters: number
  /** Tokens handled more than once. */
  duplicates: number
  /** Of those, the ones whose row is not flagged redelivered: must be 0. */
  duplicates_unflagged: number
  /** Handled by an agent that was not the row's recipient. */
  misrouted: number
  /** Sends whose answer was lost with the daemon but whose row was written (handled like any other). */
  unacknowledged_persisted: number
  handled: number
  rows: number
  rows_redelivered: number
  /** Send → ack in the database (sentAt → ackedAt), acked sends only. */
  send_to_ack: Latency
  /** Acked rows per second from the first send to the last ack. */
  throughput_per_s: number
  integrity_check: string
  examples: {
    lost: unknown[]
    dropped: unknown[]
    duplicates_unflagged: unknown[]
    misrouted: unknown[]
  }
}

/** Which agents handled each token, from every agent's `handled.log`. */
function readHandled(home: string, agents: readonly string[]): { byToken: Map<string, string[]>; lines: number } {
  const byToken = new Map<string, string[]>()
  let lines = 0
  for (const agent of agents) {
    const file = join(home, 'agents', agent, 'state', HANDLED_LOG)
    if (!existsSync(file)) continue
    for (const token of readFileSync(file, 'utf8').split('\n')) {
      if (!token) continue
      lines++
      const by = byToken.get(token)
      if (by) by.push(agent)
      else byToken.set(token, [agent])
    }
  }
  return { byToken, lines }
}

/**
 * The soak's verdict, from the database after the daemon stopped and the stub's logs: nothing the
 * daemon accepted may be missing, and a message handled twice must have been flagged redelivered.
 */
export function auditSoak(home: string, agents: readonly string[], acked: readonly AckedSend[], unackedTokens: readonly string[]): SoakAudit {
  const db = new Database(join(home, 'hive.db'), { readonly: true })
  try {
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ')
    const rows = db
      .prepare(
        `SELECT "id", "recipient", "body", "sentAt", "ackedAt", "redelivered", "attempts", "deadLetteredAt", "lastError"
         FROM "Message" WHERE "recipient" IN (SELECT "value" FROM json_each(?)) AND "body" LIKE '${SOAK_TOKEN_PREFIX}%'`,
      )
      .all(JSON.stringify(agents)) as Row[]
    const rowById = new Map(rows.map((r) => [r.id, r]))
    const rowByToken = new Map(rows.map((r) => [r.body, r]))
    const { byToken, lines } = readHandled(home, agents)
    const state = (r: Row | undefined) =>
      r ? { id: r.id, agent: r.recipient, acked: r.ackedAt !== null, redelivered: r.redelivered === 1, attempts: r.attempts, dead: r.deadLetteredAt !== null, error: r.lastError } : 'no row'

    const lost = acked.filter((s) => {
      const row = rowById.get(s.id)
      return !row || row.body !== s.token || row.ackedAt === null || !byToken.has(s.token)
    })
    const deadLetters = rows.filter((r) => r.deadLetteredAt !== null)
    const ackedUnhandled = rows.filter((r) => r.ackedAt !== null && !byToken.has(r.body))
    const duplicates = [...byToken].filter(([, by]) => by.length > 1)
    const unflagged = duplicates.filter(([token]) => rowByToken.get(token)?.redelivered !== 1)
    const misrouted = [...byToken].filter(([token, by]) => by.some((agent) => agent !== rowByToken.get(token)?.recipient))

    const ackLatencies: number[] = []
    let firstSent = Infinity
    let lastAcked = -Infinity
    for (const s of acked) {
      const row = rowById.get(s.id)
      if (row?.ackedAt == null) continue
      ackLatencies.push(row.ackedAt - row.sentAt)
      firstSent = Math.min(firstSent, row.sentAt)
      lastAcked = Math.max(lastAcked, row.ackedAt)
    }
    const ackedRows = rows.filter((r) => r.ackedAt !== null).length

    return {
      lost: lost.length,
      dropped: ackedUnhandled.length + deadLetters.length,
      dead_letters: deadLetters.length,
      duplicates: duplicates.length,
      duplicates_unflagged: unflagged.length,
      misrouted: misrouted.length,
      unacknowledged_persisted: unackedTokens.filter((t) => rowByToken.has(t)).length,
      handled: lines,
      rows: rows.length,
      rows_redelivered: rows.filter((r) => r.redelivered === 1).length,
      send_to_ack: summarize(ackLatencies),
      throughput_per_s: lastAcked > firstSent ? Math.round((ackedRows / ((lastAcked - firstSent) / 1000)) * 10) / 10 : 0,
      integrity_check: integrity,
      examples: {
        lost: lost.slice(0, EXAMPLES).map((s) => ({ token: s.token, sent_to: s.agent, id: s.id, handled_by: byToken.get(s.token) ?? [], row: state(rowById.get(s.id)) })),
        dropped: [...ackedUnhandled, ...deadLetters].slice(0, EXAMPLES).map((r) => ({ token: r.body, row: state(r) })),
        duplicates_unflagged: unflagged.slice(0, EXAMPLES).map(([token, by]) => ({ token, handled_by: by, row: state(rowByToken.get(token)) })),
        misrouted: misrouted.slice(0, EXAMPLES).map(([token, by]) => ({ token, handled_by: by, row: state(rowByToken.get(token)) })),
      },
    }
  } finally {
    db.close()
  }
}
