import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import Database from 'better-sqlite3'
import { BusyWait, waitOutBusy } from './busy-wait.ts'
import { PrismaClient } from './generated/prisma/client.ts'

const Busy = {
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
 * connections interleave; a busy database is waited out between attempts (busy-wait.ts,
 * write-queue.ts).
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

  // No synchronous busy wait either: the broker's writes wait in the event loop (write-queue.ts),
  // also for a Prisma transaction of ours, which holds its lock across awaits.
  const sqlite = new Database(file, { timeout: 0 })
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
