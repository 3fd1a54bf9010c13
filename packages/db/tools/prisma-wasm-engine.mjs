// Drive Prisma's official Wasm schema engine (@prisma/schema-engine-wasm, same engine commit as the
// prisma CLI) from plain Node 20 against SQLite through @prisma/adapter-better-sqlite3.
// Works offline: nothing is downloaded. Used directly (diff / applyMigrations / ...) or through
// tools/schema-engine-wasm.mjs, which lets the real `prisma migrate *` / `db push` commands use it.
import { readFileSync, rmSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils'

const require = createRequire(import.meta.url)

let wasmModule
/** Instantiate the Wasm module without --experimental-wasm-modules (the package's ESM entry needs it). */
export async function loadSchemaEngineWasm() {
  if (wasmModule) return wasmModule
  const bg = await import('@prisma/schema-engine-wasm/schema_engine_bg')
  const glue = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')
  const bytes = readFileSync(glue.replace(/\.js$/, '.wasm'))
  const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bg })
  bg.__wbg_set_wasm(instance.exports)
  instance.exports.__wbindgen_start()
  wasmModule = bg
  return bg
}

/** "file:./dev.db" -> absolute path (relative to `baseDir`); ":memory:" stays. */
export function sqlitePath(url, baseDir = process.cwd()) {
  if (!url) return ':memory:'
  if (!url.startsWith('file:')) throw new Error(`only sqlite "file:" URLs are supported, got "${url.split(':')[0]}:"`)
  const p = url.slice('file:'.length).split('?')[0]
  return p === ':memory:' ? p : path.resolve(baseDir, p)
}

// ---- adapter wrapper: swappable connection + fixes for 7.10 Wasm-engine/adapter mismatches ----
//  A. "no such table: _prisma_migrations" is not treated as "migrations table not initialised" (the native
//     binary special-cases the rusqlite error), so devDiagnostic / diagnoseMigrationHistory / migrate status fail
//     with P1014 on a database that has no migrations table. We answer that one SELECT with an empty result;
//     applyMigrations' initialize() step still creates the table (it looks at sqlite_master), as natively.
//  B. the engine's raw_cmd (replaying migration scripts into the shadow database: `migrate diff
//     --from-migrations`, and `migrate dev` once migrations exist) reaches the adapter as one executeRaw, which
//     better-sqlite3 rejects for multi-statement scripts. Natively that is SQLite's execute_batch, i.e. the
//     adapter's executeScript.
const MIG_COLS = ['id', 'checksum', 'finished_at', 'migration_name', 'logs', 'rolled_back_at', 'started_at', 'applied_steps_count']
const MIG_TYPES = [7, 7, 10, 7, 7, 10, 10, 0] // ColumnTypeEnum: Text Text DateTime Text Text DateTime DateTime Int32
// Same DDL as the engine's SqliteConnector::create_migrations_table.
const MIGRATIONS_TABLE_DDL = `CREATE TABLE "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
);
`

function wrapQueryable(initial, dbg) {
  const h = { cur: initial }
  const call = async (key, args) => {
    const target = h.cur
    try {
      const r = await target[key](...args)
      return key === 'startTransaction' ? wrapQueryable(r, dbg) : r
    } catch (e) {
      dbg(`[adapter] ${String(key)} failed: ${e?.message} cause=${JSON.stringify(e?.cause)}`)
      if (key === 'executeRaw' && typeof target.executeScript === 'function' && (args[0]?.args?.length ?? 0) === 0 &&
          /more than one statement/.test(String(e?.message))) {
        await target.executeScript(args[0].sql) // B
        return 0
      }
      if (key === 'queryRaw' && e?.cause?.kind === 'TableDoesNotExist' && e.cause.table === '_prisma_migrations') {
        const sql = String(args[0]?.sql ?? '').trimStart()
        if (/^SELECT/i.test(sql)) return { columnNames: MIG_COLS, columnTypes: MIG_TYPES, rows: [] } // A
        if (/^INSERT/i.test(sql) && typeof target.executeScript === 'function') {
          // A': `migrate resolve --applied` on a database without the table: natively the engine sees
          // "not initialised" and creates the table first (baseline_initialize). Do that, then retry.
          await target.executeScript(MIGRATIONS_TABLE_DDL)
          return await target[key](...args)
        }
      }
      throw e
    }
  }
  return new Proxy({}, {
    get(_, key) {
      if (key === '__swap') return (next) => { h.cur = next }
      if (key === '__current') return h.cur
      const v = h.cur[key]
      if (typeof v !== 'function') return v
      if (key === 'getConnectionInfo') return (...a) => h.cur[key](...a) // synchronous
      return (...a) => call(key, a) // resolved per call, so a swapped connection is picked up
    },
    has(_, key) { return key in h.cur },
  })
}

/**
 * Open a schema engine on a SQLite database.
 * @param {object} o
 * @param {string} [o.url]        "file:./dev.db" (default ":memory:", fine for pure schema->SQL diffs)
 * @param {string} [o.shadowUrl]  shadow database; default ":memory:" (what the native engine uses for SQLite)
 * @param {string} [o.baseDir]    base for relative file: URLs (default process.cwd())
 * @param {[string,string][]} [o.datamodels]  [[path, content]] of the Prisma schema files
 * @param {(s:string)=>void} [o.debug]
 */
export async function openSchemaEngine({ url, shadowUrl, baseDir, datamodels, debug } = {}) {
  const dbg = debug ?? (() => {})
  const bg = await loadSchemaEngineWasm()
  const dbPath = sqlitePath(url, baseDir)
  if (dbPath !== ':memory:') mkdirSync(path.dirname(dbPath), { recursive: true })
  // timestampFormat 'unixepoch-ms': write _prisma_migrations timestamps as integer unix-ms, exactly like the
  // native engine (quaint/rusqlite) does, instead of the adapter's default ISO-8601 text.
  const factory = new PrismaBetterSqlite3({ url: dbPath }, {
    timestampFormat: 'unixepoch-ms',
    ...(shadowUrl ? { shadowDatabaseUrl: sqlitePath(shadowUrl, baseDir) } : {}),
  })
  let mainConn
  const adapter = bindMigrationAwareSqlAdapterFactory({
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => (mainConn = wrapQueryable(await factory.connect(), dbg)),
    connectToShadowDb: async () => wrapQueryable(await factory.connectToShadowDb(), dbg),
  })
  const engine = await bg.SchemaEngine.new({ datamodels: datamodels?.length ? datamodels : undefined }, (s) => dbg(`[wasm] ${s}`), adapter)

  const api = {
    engine,
    version: bg.version(),
    dbPath,
    /**
     * C. The Wasm engine's SQLite reset only DELETEs rows (tables stay), so re-applying migrations afterwards fails
     * with "table already exists". Like the native engine, start from an empty file: close, delete, reconnect.
     */
    async reset(input = { filter: { externalTables: [], externalEnums: [] } }) {
      if (dbPath === ':memory:' || !mainConn) return engine.reset(input)
      await mainConn.__current.dispose()
      for (const s of ['', '-wal', '-shm', '-journal']) rmSync(dbPath + s, { force: true })
      mainConn.__swap(await factory.connect())
    },
    /**
     * D. evaluateDataLoss / createMigration get no adapter factory inside the Wasm engine, so they can only
     * compute "schema after all migrations" from the engine's cache, which devDiagnostic fills (it has the
     * factory and replays the migrations into the in-memory shadow database). The CLI calls devDiagnostic
     * first, but when it then applies pending migrations the cache misses and they fail with
     * "SQLite shadow DB must be provided through an external factory". Prime the cache first.
     */
    async primeMigrationCache(migrationsList, filters) {
      try { await engine.devDiagnostic({ migrationsList, filters }) } catch (e) { dbg(`[prime] devDiagnostic: ${e?.message}`) }
    },
    async close() {
      try { engine.free() } catch {}
      try { await mainConn?.__current?.dispose() } catch {}
    },
  }
  return api
}

const NO_FILTER = { externalTables: [], externalEnums: [] }

/** Read a Prisma migrations folder into the engine's MigrationList shape (same as the CLI does). */
export function readMigrationsList(migrationsDir, shadowDbInitScript = '') {
  const fs = require('node:fs')
  const baseDir = path.resolve(migrationsDir)
  let lock = null
  try { lock = fs.readFileSync(path.join(baseDir, 'migration_lock.toml'), 'utf8') } catch {}
  let dirs = []
  try { dirs = fs.readdirSync(baseDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name) } catch {}
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: lock },
    shadowDbInitScript,
    migrationDirectories: dirs.sort((a, b) => a.localeCompare(b)).map((d) => {
      let content
      try { content = { tag: 'ok', value: fs.readFileSync(path.join(baseDir, d, 'migration.sql'), 'utf8') } }
      catch (e) { content = { tag: 'error', value: e.message } }
      return { path: d, migrationFile: { path: 'migration.sql', content } }
    }),
  }
}

/** schema.prisma (one file or a folder of *.prisma) -> SchemasContainer */
export function readSchemaFiles(schemaPath) {
  const fs = require('node:fs')
  const st = fs.statSync(schemaPath)
  const files = st.isDirectory()
    ? fs.readdirSync(schemaPath, { recursive: true }).filter((f) => String(f).endsWith('.prisma')).map((f) => path.join(schemaPath, String(f)))
    : [schemaPath]
  return { files: files.map((f) => ({ path: f, content: fs.readFileSync(f, 'utf8') })) }
}

export { NO_FILTER }
