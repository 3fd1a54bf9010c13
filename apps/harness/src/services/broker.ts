import { EventEmitter } from 'node:events'
import { WriteQueue, type FailedLeases, type MessageStore, type StoredMessage } from '@hive/db'
import { HiveError, HiveErrorCode } from '@hive/mcp'

interface BrokerEvents {
  /** A row was inserted (one per recipient). */
  sent: [StoredMessage]
  /** A row was leased to its recipient by `recv`. */
  delivered: [StoredMessage]
  /** Messages of an inbox nobody `recv`s from (the operator's) were marked read. */
  read: [string]
}

/**
 * Message delivery: the store holds the rows, the broker parks `recv` callers per recipient and
 * wakes them synchronously on insert — no polling loop. Leases are taken in the same tick as the
 * wake, so two parked receivers cannot get the same row.
 *
 * Writes (and leases) go through a WriteQueue: each store call with its events and wakes still
 * runs whole within one tick, in call order, but a busy database is waited out in the event
 * loop; past the bound the caller gets a TIMEOUT error and nothing was written.
 */
export class Broker {
  readonly events = new EventEmitter<BrokerEvents>()
  private readonly parked = new Map<string, Set<() => void>>()
  private readonly writes: WriteQueue

  constructor(
    private readonly store: MessageStore,
    private readonly now: () => number = Date.now,
    /** How long a write waits for a busy database (tests shorten it); the queue's default if unset. */
    busyDeadlineMs?: number,
  ) {
    this.events.setMaxListeners(0)
    this.writes = new WriteQueue((message, cause) => new HiveError(HiveErrorCode.Timeout, message, { cause }), busyDeadlineMs)
  }

  send(sender: string, recipients: string[], body: string, broadcast = false): Promise<StoredMessage[]> {
    return this.writes.run(() => {
      const rows = this.store.insert(sender, recipients, body, this.now(), broadcast)
      for (const row of rows) this.events.emit('sent', row)
      for (const recipient of new Set(recipients)) this.wake(recipient)
      return rows
    })
  }

  /** Leases the oldest unread message, waiting up to `waitMs` for one; undefined if none came. */
  async recv(recipient: string, waitMs: number, signal?: AbortSignal): Promise<StoredMessage | undefined> {
    const deadline = this.now() + waitMs
    for (;;) {
      const { row, wake } = await this.writes.run(() => this.leaseOrPark(recipient, deadline, signal))
      if (row || !wake) return row
      await wake
    }
  }

  unread(recipient: string): number {
    return this.store.unreadCount(recipient)
  }

  ack(recipient: string): Promise<number> {
    return this.writes.run(() => this.store.ackLeased(recipient, this.now()))
  }

  requeue(recipient: string): Promise<number> {
    return this.writes.run(() => {
      const n = this.store.requeue(recipient)
      if (n > 0) this.wake(recipient)
      return n
    })
  }

  /** A turn error over `recipient`'s leases: see MessageStore.failLeased. */
  failLeased(recipient: string, error: string, maxAttempts: number): Promise<FailedLeases> {
    return this.writes.run(() => {
      const failed = this.store.failLeased(recipient, error, maxAttempts, this.now())
      if (failed.requeued > 0) this.wake(recipient)
      return failed
    })
  }

  deadLetters(limit: number, beforeId?: number): StoredMessage[] {
    return this.store.deadLetters(limit, beforeId)
  }

  reviveDeadLetter(id: number): Promise<StoredMessage | undefined> {
    return this.writes.run(() => {
      const row = this.store.reviveDeadLetter(id)
      if (row) this.wake(row.recipient)
      return row
    })
  }

  discardDeadLetter(id: number): Promise<StoredMessage | undefined> {
    return this.writes.run(() => this.store.discardDeadLetter(id))
  }

  recentFor(recipient: string, limit: number, beforeId?: number): StoredMessage[] {
    return this.store.recentFor(recipient, limit, beforeId)
  }

  unreadFor(recipient: string, limit: number, beforeId?: number): StoredMessage[] {
    return this.store.unreadFor(recipient, limit, beforeId)
  }

  recent(limit: number): StoredMessage[] {
    return this.store.recent(limit)
  }

  markRead(recipient: string, id?: number): Promise<number> {
    return this.writes.run(() => {
      const n = this.store.markRead(recipient, this.now(), id)
      if (n > 0) this.events.emit('read', recipient)
      return n
    })
  }

  /**
   * The oldest unread row, or else a wait for the next wake, parked in the same tick the lease
   * found nothing (a send in between would wake no one); neither once the wait is over.
   */
  private leaseOrPark(recipient: string, deadline: number, signal?: AbortSignal): { row?: StoredMessage; wake?: Promise<void> } {
    // A lease that waited for a busy database is not taken for a caller that has gone meanwhile.
    if (signal?.aborted) return {}
    const row = this.store.leaseNext(recipient, this.now())
    if (row) {
      this.events.emit('delivered', row)
      return { row }
    }
    const remaining = deadline - this.now()
    return remaining > 0 ? { wake: this.park(recipient, remaining, signal) } : {}
  }

  private park(recipient: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.parked.get(recipient)
      if (!set) this.parked.set(recipient, (set = new Set()))
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        set.delete(done)
        if (set.size === 0) this.parked.delete(recipient)
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal?.addEventListener('abort', done, { once: true })
      set.add(done)
    })
  }

  private wake(recipient: string): void {
    const set = this.parked.get(recipient)
    if (!set) return
    for (const done of [...set]) done()
  }
}
