import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import Database from 'better-sqlite3'
import { BusyWait, waitOutBusy } from './busy-wait.ts'
import { PrismaClient } from './generated/prisma/client.ts'

const Busy = {
  /**
   * The raw connection's synchronous busy wait (it blocks the event loop): the broker's calls
   * are synchronous by design (message-store.ts), so a foreign lock held longer than this fails
   * the call rather than freezing the daemon. Our own two connections never wait on each other:
   * a Prisma statement or transaction runs without yielding to the event loop once it has its lock.
   */
  RAW_TIMEOUT_MS: 100,
  /** Prisma's default interactive-transaction timeout: the transaction's own work. */
  TRANSACTION_WORK_MS: 5_000,
} as const

export interface HiveDatabase {
  /** Typed access for everything but the broker's hot path. */
  prisma: PrismaClient
  /** A second connection to the same file for the broker (raw SQL; see message-store.ts). */
  sqlite: Database.Database
  close(): Promise<void>
}

/**
 * Opens hive.db twice: Prisma over the better-sqlite3 adapter, and raw better-sqlite3. Both store
 * DateTime as integer unix-ms so raw SQL and Prisma read each other's rows. WAL lets the two
 * connections interleave; a busy database is waited out between attempts (busy-wait.ts).
 */
export async function openDatabase(file: string): Promise<HiveDatabase> {
  // No synchronous busy wait: waitOutBusy retries in the event loop instead.
  const adapter = waitOutBusy(new PrismaBetterSqlite3({ url: file, timeout: 0 }, { timestampFormat: 'unixepoch-ms' }))
  const prisma = new PrismaClient({
    adapter,
    // A transaction may wait for another one that waits out a busy database, then wait itself.
    transactionOptions: { maxWait: BusyWait.DEADLINE_MS, timeout: BusyWait.DEADLINE_MS + Busy.TRANSACTION_WORK_MS },
  })
  // better-sqlite3 only defaults to NORMAL on connections opened on a database already in WAL.
  await prisma.$executeRawUnsafe('PRAGMA synchronous = NORMAL')
  await prisma.$executeRawUnsafe('PRAGMA foreign_keys = ON')

  const sqlite = new Database(file, { timeout: Busy.RAW_TIMEOUT_MS })
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')

  return {
    prisma,
    sqlite,
    async close() {
      await prisma.$disconnect()
      sqlite.close()
    },
  }
}
