import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase, type HiveDatabase } from './client.ts'
import { applyMigrations } from './migrate.ts'

/** A migrated hive.db in a temp dir, for tests of this package. */
export async function withTestDatabase<T>(fn: (db: HiveDatabase, file: string) => Promise<T> | T): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'hive-db-test-'))
  const file = join(dir, 'hive.db')
  await applyMigrations(file)
  const db = await openDatabase(file)
  try {
    return await fn(db, file)
  } finally {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
