import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import Database from 'better-sqlite3'
import { PrismaClient } from './generated/prisma/client.ts'

const BUSY_TIMEOUT_MS = 5_000

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
 * connections interleave; busy_timeout covers the brief write locks.
 */
export async function openDatabase(file: string): Promise<HiveDatabase> {
  const adapter = new PrismaBetterSqlite3({ url: file }, { timestampFormat: 'unixepoch-ms' })
  const prisma = new PrismaClient({ adapter })
  await prisma.$executeRawUnsafe(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
  // better-sqlite3 only defaults to NORMAL on connections opened on a database already in WAL.
  await prisma.$executeRawUnsafe('PRAGMA synchronous = NORMAL')
  await prisma.$executeRawUnsafe('PRAGMA foreign_keys = ON')

  const sqlite = new Database(file)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)

  return {
    prisma,
    sqlite,
    async close() {
      await prisma.$disconnect()
      sqlite.close()
    },
  }
}
