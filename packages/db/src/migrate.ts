import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { NO_FILTER, openSchemaEngine, readMigrationsList, readSchemaFiles } from '../tools/prisma-wasm-engine.mjs'

/** `prisma/` at the install's root, found upwards: this module runs from src/ and from the bundle. */
function prismaDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'prisma', 'schema.prisma'))) return join(dir, 'prisma')
    if (dirname(dir) === dir) throw new Error(`prisma/schema.prisma not found above ${fileURLToPath(import.meta.url)}`)
  }
}

export const MIGRATIONS_DIR = join(prismaDir(), 'migrations')
const SCHEMA_FILE = join(prismaDir(), 'schema.prisma')

/**
 * `prisma migrate deploy`, in-process and offline: Prisma's own schema engine (its Wasm build, the
 * same engine commit as the CLI) applies the standard migration folders and records them in
 * `_prisma_migrations`. Returns the names it applied. Then puts the database in WAL mode.
 */
export async function applyMigrations(dbFile: string): Promise<string[]> {
  const se = await openSchemaEngine({ url: `file:${dbFile}` })
  let applied: string[]
  try {
    const result = await se.engine.applyMigrations({ migrationsList: readMigrationsList(MIGRATIONS_DIR), filters: NO_FILTER })
    applied = result.appliedMigrationNames
  } finally {
    await se.close()
  }
  const db = new Database(dbFile)
  try {
    db.pragma('journal_mode = WAL') // persistent in the file
  } finally {
    db.close()
  }
  return applied
}

/**
 * SQL that the migrations lack to reach schema.prisma (empty when they match): guards against a
 * schema edit without its migration.
 */
export async function pendingSchemaDiff(): Promise<string> {
  const schema = readSchemaFiles(SCHEMA_FILE)
  const se = await openSchemaEngine({ datamodels: schema.files.map((f) => [f.path, f.content]) })
  try {
    const r = await se.engine.diff({
      from: { tag: 'migrations', ...readMigrationsList(MIGRATIONS_DIR) },
      to: { tag: 'schemaDatamodel', ...schema },
      script: true,
      exitCode: null,
      filters: NO_FILTER,
    })
    const sql = (r.stdout ?? '').trim()
    return /^-- This is an empty migration\.?$/.test(sql) ? '' : sql
  } finally {
    await se.close()
  }
}
