import { join } from 'node:path'
import Database from 'better-sqlite3'

/**
 * What the daemon wrote, as a test sees it: `read` runs on a read-only connection to the hive's
 * database, which is closed again whatever `read` does.
 */
export function readHiveDb<T>(home: string, read: (db: Database.Database) => T): T {
  const db = new Database(join(home, 'hive.db'), { readonly: true })
  try {
    return read(db)
  } finally {
    db.close()
  }
}
