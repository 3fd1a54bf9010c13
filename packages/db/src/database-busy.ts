import Database from 'better-sqlite3'
import { isDriverAdapterError } from '@prisma/driver-adapter-utils'

/**
 * A database another process held past our wait, in each form it reaches a caller: better-sqlite3's
 * SQLITE_BUSY (or a variant), Prisma's adapter error carrying it, and Prisma's P1008 (the adapter
 * reports SQLITE_BUSY as SocketTimeout). A wait that ran out, not a bug.
 */
export function isDatabaseBusy(err: unknown): boolean {
  if (err instanceof Database.SqliteError) return err.code.startsWith('SQLITE_BUSY')
  if (isDriverAdapterError(err)) return (err.cause.originalCode ?? '').startsWith('SQLITE_BUSY') || err.cause.kind === 'SocketTimeout'
  if (typeof err !== 'object' || err === null) return false
  const { code, cause } = err as { code?: unknown; cause?: { kind?: unknown } }
  return code === 'P1008' || cause?.kind === 'SocketTimeout'
}
