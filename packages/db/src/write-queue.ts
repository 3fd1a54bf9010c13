import { BusyWait } from './busy-wait.ts'
import { isDatabaseBusy } from './database-busy.ts'

export const WriteQueueLimits = {
  /**
   * Calls that may wait for a busy database at once; more fail at once. Any agent may send, and
   * a body is at most 64 KiB, so this holds at most ≈64 MiB of bodies during one lock.
   */
  MAX_WAITING: 1_000,
} as const

interface Waiting {
  call: () => unknown
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
  since: number
}

/**
 * Synchronous calls on the raw connection (message-store.ts), in call order, each run whole
 * within one tick. While the database is free a call runs at once. One refused with SQLITE_BUSY
 * waits, and every later call queues behind it, so none overtakes another; the first is run
 * again after each pause in the event loop (BusyWait's backoff) until it goes through or has
 * waited BusyWait.DEADLINE_MS. Give the connection no busy timeout of its own: SQLite's
 * wait would block the event loop on every attempt.
 */
export class WriteQueue {
  private readonly waiting: Waiting[] = []
  private delayMs: number = BusyWait.FIRST_DELAY_MS
  private timer: NodeJS.Timeout | undefined

  constructor(
    /** Builds the error a call gets when it is given up on (the caller's error type). */
    private readonly busyError: (message: string, cause: unknown) => Error = (message, cause) => new Error(message, { cause }),
    private readonly deadlineMs: number = BusyWait.DEADLINE_MS,
  ) {}

  /** `call`'s result; it rejects with `busyError` once the database stayed busy past the deadline. */
  run<T>(call: () => T): Promise<T> {
    if (this.waiting.length === 0) {
      try {
        return Promise.resolve(call())
      } catch (err) {
        // Every busy variant: unlike a Prisma statement inside a transaction (busy-wait.ts), a call
        // here is tried again whole, in a new transaction, so BUSY_SNAPSHOT clears too.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the call's own error, passed on as it is
        if (!isDatabaseBusy(err)) return Promise.reject(err)
      }
    }
    if (this.waiting.length >= WriteQueueLimits.MAX_WAITING) {
      return Promise.reject(this.busyError(`the database is busy and ${WriteQueueLimits.MAX_WAITING} writes already wait for it; nothing was written`, undefined))
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ call, resolve: resolve as (value: unknown) => void, reject, since: Date.now() })
      this.timer ??= setTimeout(() => this.drain(), this.delayMs)
    })
  }

  private drain(): void {
    this.timer = undefined
    for (let head = this.waiting[0]; head; head = this.waiting[0]) {
      try {
        const value = head.call()
        this.waiting.shift()
        this.delayMs = BusyWait.FIRST_DELAY_MS
        head.resolve(value)
        continue
      } catch (err) {
        const waitedMs = Date.now() - head.since
        if (isDatabaseBusy(err) && waitedMs + this.delayMs <= this.deadlineMs) break
        this.waiting.shift()
        head.reject(
          isDatabaseBusy(err)
            ? this.busyError(
                `the database stayed busy for ${waitedMs} ms (another process holds its write lock: a sqlite3 shell, a backup?); nothing was written`,
                err,
              )
            : err,
        )
      }
    }
    if (this.waiting.length === 0) return
    this.delayMs = Math.min(this.delayMs * 2, BusyWait.MAX_DELAY_MS)
    this.timer = setTimeout(() => this.drain(), this.delayMs)
  }
}
