import { setImmediate as nextTick } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { MessageStore } from '@hive/db'

export interface RetentionPolicy {
  /** Acked messages older than this are deleted; unread and leased ones are kept forever. */
  retentionMs: number
  intervalMs: number
  /** Rows per DELETE: the broker's hot path waits at most one batch for the write lock. */
  batch: number
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  retentionMs: 14 * 24 * 60 * 60 * 1000,
  intervalMs: 60 * 60 * 1000,
  batch: 2000,
}

/** Keeps the message table bounded: a pass at start, then one per interval. */
export class BrokerJanitor {
  private timer: NodeJS.Timeout | undefined
  private running = false

  constructor(
    private readonly store: Pick<MessageStore, 'vacuumBatch'>,
    private readonly policy: RetentionPolicy,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    void this.pass()
    this.timer = setInterval(() => void this.pass(), this.policy.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /** One sweep in batches, yielding to the event loop between them; how many rows went. */
  async pass(): Promise<number> {
    if (this.running) return 0
    this.running = true
    const cutoff = this.now() - this.policy.retentionMs
    let cursor = 0
    let total = 0
    try {
      for (;;) {
        const { deleted, lastId } = this.store.vacuumBatch(cutoff, cursor, this.policy.batch)
        if (deleted === 0) break
        total += deleted
        cursor = lastId
        await nextTick()
      }
    } catch (err) {
      this.log.error({ err }, 'message vacuum failed; will retry next interval')
    } finally {
      this.running = false
    }
    if (total > 0) this.log.info({ deleted: total, cutoff: new Date(cutoff).toISOString() }, 'vacuumed acked messages past retention')
    return total
  }
}
