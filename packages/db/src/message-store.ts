import type { Database, Statement } from 'better-sqlite3'

/** One broker row, timestamps in unix-ms (the same encoding Prisma's adapter uses here). */
export interface StoredMessage {
  id: number
  sender: string
  recipient: string
  body: string
  sentAt: number
  deliveredAt: number | null
  ackedAt: number | null
  redelivered: boolean
  broadcast: boolean
  /** Turns that failed with a turn error while it was leased. */
  attempts: number
  /** Set once it failed too often: out of the queue until retried or discarded. */
  deadLetteredAt: number | null
  lastError: string | null
}

export interface FailedLeases {
  deadLettered: StoredMessage[]
  requeued: number
}

interface MessageRow extends Omit<StoredMessage, 'redelivered' | 'broadcast'> {
  redelivered: number
  broadcast: number
}

const toMessage = (row: MessageRow): StoredMessage => ({
  ...row,
  redelivered: row.redelivered === 1,
  broadcast: row.broadcast === 1,
})

const COLUMNS =
  '"id", "sender", "recipient", "body", "sentAt", "deliveredAt", "ackedAt", "redelivered", "broadcast", "attempts", "deadLetteredAt", "lastError"'

/** Leased to its recipient and neither handled nor given up on. */
const LEASED = '"ackedAt" IS NULL AND "deliveredAt" IS NOT NULL AND "deadLetteredAt" IS NULL'

/**
 * The broker's table, on raw better-sqlite3: Prisma costs ≈4.5× per insert (bench/results.json,
 * `broker.*`), and the wake path must stay synchronous so a lease cannot interleave with another.
 */
export class MessageStore {
  private readonly insertStmt: Statement<[string, string, string, number, number], MessageRow>
  private readonly leaseStmt: Statement<[number, string], MessageRow>
  private readonly unreadStmt: Statement<[string], { n: number }>
  private readonly ackStmt: Statement<[number, string]>
  private readonly requeueStmt: Statement<[string]>
  private readonly countFailureStmt: Statement<[string, string]>
  private readonly deadLetterStmt: Statement<[number, string, number], MessageRow>
  private readonly deadListStmt: Statement<[number, number], MessageRow>
  private readonly reviveStmt: Statement<[number], MessageRow>
  private readonly discardStmt: Statement<[number], MessageRow>
  private readonly failLeasedTx: (recipient: string, error: string, maxAttempts: number, now: number) => FailedLeases
  private readonly recentForStmt: Statement<[string, number, number], MessageRow>
  private readonly recentStmt: Statement<[number], MessageRow>
  private readonly markReadAllStmt: Statement<[number, number, string]>
  private readonly markReadOneStmt: Statement<[number, number, string, number]>
  private readonly getStmt: Statement<[number], MessageRow>
  private readonly unreadListStmt: Statement<[string, number, number], MessageRow>
  private readonly expiredStmt: Statement<[number, number, number], { id: number }>
  private readonly deleteIdsStmt: Statement<[string]>
  private readonly insertMany: (sender: string, recipients: string[], body: string, now: number, broadcast: boolean) => StoredMessage[]

  constructor(private readonly db: Database) {
    this.insertStmt = db.prepare(
      `INSERT INTO "Message" ("sender", "recipient", "body", "sentAt", "broadcast", "redelivered") VALUES (?, ?, ?, ?, ?, 0) RETURNING ${COLUMNS}`,
    )
    this.leaseStmt = db.prepare(
      `UPDATE "Message" SET "deliveredAt" = ? WHERE "id" = (
         SELECT "id" FROM "Message" WHERE "recipient" = ? AND "deliveredAt" IS NULL ORDER BY "id" LIMIT 1
       ) RETURNING ${COLUMNS}`,
    )
    this.unreadStmt = db.prepare('SELECT count(*) AS n FROM "Message" WHERE "recipient" = ? AND "deliveredAt" IS NULL')
    this.ackStmt = db.prepare(`UPDATE "Message" SET "ackedAt" = ? WHERE "recipient" = ? AND ${LEASED}`)
    this.requeueStmt = db.prepare(`UPDATE "Message" SET "deliveredAt" = NULL, "redelivered" = 1 WHERE "recipient" = ? AND ${LEASED}`)
    this.countFailureStmt = db.prepare(`UPDATE "Message" SET "attempts" = "attempts" + 1, "lastError" = ? WHERE "recipient" = ? AND ${LEASED}`)
    this.deadLetterStmt = db.prepare(
      `UPDATE "Message" SET "deadLetteredAt" = ? WHERE "recipient" = ? AND ${LEASED} AND "attempts" >= ? RETURNING ${COLUMNS}`,
    )
    this.deadListStmt = db.prepare(
      `SELECT ${COLUMNS} FROM "Message" WHERE "deadLetteredAt" IS NOT NULL AND "ackedAt" IS NULL AND "id" < ? ORDER BY "id" DESC LIMIT ?`,
    )
    this.reviveStmt = db.prepare(
      `UPDATE "Message" SET "deadLetteredAt" = NULL, "deliveredAt" = NULL, "attempts" = 0, "redelivered" = 1
       WHERE "id" = ? AND "deadLetteredAt" IS NOT NULL AND "ackedAt" IS NULL RETURNING ${COLUMNS}`,
    )
    this.discardStmt = db.prepare(`DELETE FROM "Message" WHERE "id" = ? AND "deadLetteredAt" IS NOT NULL AND "ackedAt" IS NULL RETURNING ${COLUMNS}`)
    this.recentForStmt = db.prepare(`SELECT ${COLUMNS} FROM "Message" WHERE "recipient" = ? AND "id" < ? ORDER BY "id" DESC LIMIT ?`)
    this.recentStmt = db.prepare(`SELECT ${COLUMNS} FROM "Message" ORDER BY "id" DESC LIMIT ?`)
    this.unreadListStmt = db.prepare(
      `SELECT ${COLUMNS} FROM "Message" WHERE "recipient" = ? AND "deliveredAt" IS NULL AND "id" < ? ORDER BY "id" DESC LIMIT ?`,
    )
    this.markReadAllStmt = db.prepare(
      'UPDATE "Message" SET "deliveredAt" = ?, "ackedAt" = ? WHERE "recipient" = ? AND "deliveredAt" IS NULL',
    )
    this.markReadOneStmt = db.prepare(
      'UPDATE "Message" SET "deliveredAt" = ?, "ackedAt" = ? WHERE "recipient" = ? AND "id" = ? AND "deliveredAt" IS NULL',
    )
    this.getStmt = db.prepare(`SELECT ${COLUMNS} FROM "Message" WHERE "id" = ?`)
    // Walks the table in id order from a cursor: expired rows are the oldest, so a batch is found
    // near the cursor, and one pass reads the table once (no ackedAt index to slow every insert).
    this.expiredStmt = db.prepare('SELECT "id" FROM "Message" WHERE "id" > ? AND "ackedAt" IS NOT NULL AND "ackedAt" < ? ORDER BY "id" LIMIT ?')
    this.deleteIdsStmt = db.prepare('DELETE FROM "Message" WHERE "id" IN (SELECT "value" FROM json_each(?))')
    this.failLeasedTx = db.transaction((recipient: string, error: string, maxAttempts: number, now: number): FailedLeases => {
      this.countFailureStmt.run(error, recipient)
      const deadLettered = this.deadLetterStmt.all(now, recipient, maxAttempts).map(toMessage)
      return { deadLettered, requeued: this.requeueStmt.run(recipient).changes }
    })
    this.insertMany = db.transaction((sender: string, recipients: string[], body: string, now: number, broadcast: boolean) =>
      recipients.map((r) => toMessage(this.insertStmt.get(sender, r, body, now, broadcast ? 1 : 0) as MessageRow)),
    )
  }

  /** One row per recipient, all in one transaction: a broadcast is all-or-nothing. */
  insert(sender: string, recipients: string[], body: string, now: number, broadcast = false): StoredMessage[] {
    return this.insertMany(sender, recipients, body, now, broadcast)
  }

  /** Hands out the oldest un-leased message of `recipient`, or undefined if there is none. */
  leaseNext(recipient: string, now: number): StoredMessage | undefined {
    const row = this.leaseStmt.get(now, recipient)
    return row ? toMessage(row) : undefined
  }

  unreadCount(recipient: string): number {
    return this.unreadStmt.get(recipient)?.n ?? 0
  }

  /** Acks every leased message of `recipient`: the turn that saw them has finished. */
  ackLeased(recipient: string, now: number): number {
    return this.ackStmt.run(now, recipient).changes
  }

  /** Returns un-acked leases to the queue, flagged redelivered (at-least-once delivery). */
  requeue(recipient: string): number {
    return this.requeueStmt.run(recipient).changes
  }

  /**
   * A turn failed with a turn error (not an outage): every lease of `recipient` counts one more
   * attempt; those at `maxAttempts` become dead letters, the rest go back to the queue.
   */
  failLeased(recipient: string, error: string, maxAttempts: number, now: number): FailedLeases {
    return this.failLeasedTx(recipient, error, maxAttempts, now)
  }

  /** Dead letters, newest first, with ids below `beforeId` (paging). */
  deadLetters(limit: number, beforeId = Number.MAX_SAFE_INTEGER): StoredMessage[] {
    return this.deadListStmt.all(beforeId, limit).map(toMessage)
  }

  /** Puts a dead letter back in its recipient's queue with a fresh attempt count. */
  reviveDeadLetter(id: number): StoredMessage | undefined {
    const row = this.reviveStmt.get(id)
    return row ? toMessage(row) : undefined
  }

  /** Deletes a dead letter for good. */
  discardDeadLetter(id: number): StoredMessage | undefined {
    const row = this.discardStmt.get(id)
    return row ? toMessage(row) : undefined
  }

  /** `recipient`'s messages, newest first, with ids below `beforeId` (paging). */
  recentFor(recipient: string, limit: number, beforeId = Number.MAX_SAFE_INTEGER): StoredMessage[] {
    return this.recentForStmt.all(recipient, beforeId, limit).map(toMessage)
  }

  /** Its unread ones, newest first, with ids below `beforeId` (paging). */
  unreadFor(recipient: string, limit: number, beforeId = Number.MAX_SAFE_INTEGER): StoredMessage[] {
    return this.unreadListStmt.all(recipient, beforeId, limit).map(toMessage)
  }

  recent(limit: number): StoredMessage[] {
    return this.recentStmt.all(limit).map(toMessage)
  }

  get(id: number): StoredMessage | undefined {
    const row = this.getStmt.get(id)
    return row ? toMessage(row) : undefined
  }

  /** For inboxes nobody `recv`s from (the operator's): reading is delivery and ack at once. */
  markRead(recipient: string, now: number, id?: number): number {
    return id === undefined
      ? this.markReadAllStmt.run(now, now, recipient).changes
      : this.markReadOneStmt.run(now, now, recipient, id).changes
  }

  /**
   * Deletes up to `limit` messages acked before `cutoff` with ids above `afterId`; returns how many
   * and the cursor for the next batch (unread and leased messages are never touched).
   */
  vacuumBatch(cutoff: number, afterId: number, limit: number): { deleted: number; lastId: number } {
    const ids = this.expiredStmt.all(afterId, cutoff, limit).map((r) => r.id)
    if (ids.length === 0) return { deleted: 0, lastId: afterId }
    const deleted = this.deleteIdsStmt.run(JSON.stringify(ids)).changes
    return { deleted, lastId: ids[ids.length - 1] ?? afterId }
  }

  /** Exposed for benchmarks and tests that need the same connection. */
  get connection(): Database {
    return this.db
  }
}
