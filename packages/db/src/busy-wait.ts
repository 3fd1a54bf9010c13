import { setTimeout as sleep } from 'node:timers/promises'
import {
  isDriverAdapterError,
  type SqlDriverAdapter,
  type SqlDriverAdapterFactory,
  type SqlQuery,
  type Transaction,
} from '@prisma/driver-adapter-utils'

/**
 * Waiting out a database another process holds (an operator's sqlite3 shell, a backup tool).
 * SQLite's own busy handler sleeps inside the call, and better-sqlite3 is synchronous, so it
 * froze the whole daemon for as long as the lock lasted. Prisma's statements instead fail at
 * once with SQLITE_BUSY and are tried again after a pause in the event loop.
 */
export const BusyWait = {
  /** First pause after SQLITE_BUSY; each next one doubles up to MAX_DELAY_MS. */
  FIRST_DELAY_MS: 2,
  /** Longest pause: a released lock is noticed within this. */
  MAX_DELAY_MS: 50,
  /** A statement still refused after this fails with the busy error (the old synchronous bound was 5 s). */
  DEADLINE_MS: 10_000,
} as const

/**
 * SQLITE_BUSY and its variants, except BUSY_SNAPSHOT: a transaction that read before another
 * connection committed can never write, and only a new transaction would help.
 */
function isBusy(err: unknown): boolean {
  if (!isDriverAdapterError(err)) return false
  const code = err.cause.originalCode ?? ''
  return code.startsWith('SQLITE_BUSY') && code !== 'SQLITE_BUSY_SNAPSHOT'
}

/** `run` again after each SQLITE_BUSY, until `deadlineMs` passed or `stillWanted` says no. */
async function retryWhileBusy<T>(run: () => Promise<T>, deadlineMs: number, stillWanted: () => boolean = () => true): Promise<T> {
  const giveUpAt = Date.now() + deadlineMs
  for (let delay: number = BusyWait.FIRST_DELAY_MS; ; delay = Math.min(delay * 2, BusyWait.MAX_DELAY_MS)) {
    try {
      return await run()
    } catch (err) {
      if (!isBusy(err) || Date.now() + delay > giveUpAt) throw err
    }
    await sleep(delay)
    // A transaction that ended meanwhile (Prisma's timeout rolled it back): running the
    // statement now would run it outside any transaction.
    if (!stillWanted()) throw new Error('the transaction ended while its statement waited for a busy database')
  }
}

/**
 * Prisma's driver adapter, with every statement retried while the database is busy. Give the
 * connection no busy timeout of its own (`timeout: 0`), or its synchronous wait comes first.
 */
export function waitOutBusy(factory: SqlDriverAdapterFactory, deadlineMs: number = BusyWait.DEADLINE_MS): SqlDriverAdapterFactory {
  const retry = <T>(run: () => Promise<T>, stillWanted?: () => boolean) => retryWhileBusy(run, deadlineMs, stillWanted)
  const transaction = (tx: Transaction): Transaction => {
    let open = true
    const ended = <T>(end: () => Promise<T>) => {
      open = false
      return end()
    }
    return {
      provider: tx.provider,
      adapterName: tx.adapterName,
      options: tx.options,
      queryRaw: (query: SqlQuery) => retry(() => tx.queryRaw(query), () => open),
      executeRaw: (query: SqlQuery) => retry(() => tx.executeRaw(query), () => open),
      commit: () => ended(() => tx.commit()),
      rollback: () => ended(() => tx.rollback()),
      ...(tx.createSavepoint && { createSavepoint: tx.createSavepoint.bind(tx) }),
      ...(tx.rollbackToSavepoint && { rollbackToSavepoint: tx.rollbackToSavepoint.bind(tx) }),
      ...(tx.releaseSavepoint && { releaseSavepoint: tx.releaseSavepoint.bind(tx) }),
    }
  }
  const adapter = (inner: SqlDriverAdapter): SqlDriverAdapter => ({
    provider: inner.provider,
    adapterName: inner.adapterName,
    queryRaw: (query) => retry(() => inner.queryRaw(query)),
    executeRaw: (query) => retry(() => inner.executeRaw(query)),
    executeScript: (script) => retry(() => inner.executeScript(script)),
    // The adapter's BEGIN is deferred: it takes no lock, the statements after it wait instead.
    startTransaction: async (isolationLevel) => transaction(await inner.startTransaction(isolationLevel)),
    ...(inner.getConnectionInfo && { getConnectionInfo: inner.getConnectionInfo.bind(inner) }),
    dispose: () => inner.dispose(),
  })
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => adapter(await factory.connect()),
  }
}
