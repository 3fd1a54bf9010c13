#!/usr/bin/env node
// Stand-in for Prisma's native `schema-engine` binary, SQLite only, fully offline.
//   export PRISMA_SCHEMA_ENGINE_BINARY=$PWD/tools/schema-engine-wasm.mjs   (file must be executable)
// Speaks the native binary's line-delimited JSON-RPC 2.0 on stdin/stdout (plus its `cli <command>` and
// `--version` modes) and forwards each call to Prisma's own Wasm build of the schema engine
// (@prisma/schema-engine-wasm, same engine commit as the CLI) over @prisma/adapter-better-sqlite3.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { createRequire } from 'node:module'
import { loadSchemaEngineWasm, openSchemaEngine, sqlitePath } from './prisma-wasm-engine.mjs'

const require = createRequire(import.meta.url)
const DEBUG_FILE = process.env.SCHEMA_ENGINE_WASM_DEBUG // optional: path of a debug log file
const dbg = (s) => DEBUG_FILE && appendFileSync(DEBUG_FILE, s.endsWith('\n') ? s : s + '\n')

// The CLI reads stderr lines as JSON log records.
const log = (level, message, extra = {}) => process.stderr.write(
  JSON.stringify({ timestamp: new Date().toISOString(), level, target: 'schema_engine::logger', fields: { message, ...extra } }) + '\n')

const argv = process.argv.slice(2)
if (argv.includes('--version') || argv.includes('-V')) {
  const bg = await loadSchemaEngineWasm()
  process.stdout.write(`schema-engine-cli ${bg.version()} (wasm shim)\n`)
  process.exit(0)
}
const datamodelPaths = []
let datasource
const rest = []
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]
  if (a === '--datamodels' || a === '-d') datamodelPaths.push(argv[++i])
  else if (a === '--datasource') datasource = JSON.parse(argv[++i])
  else if (a === '--enabled-preview-features' || a === '--extension-types') i++
  else rest.push(a)
}
const url = datasource?.url

// ---- `schema-engine --datasource {...} cli <command>`: can-connect / create / drop database ----
if (rest[0] === 'cli') {
  const cmd = rest[1]
  // The CLI drops the first stderr line and JSON-parses the others (the native binary logs a start line first).
  log('INFO', `Starting schema engine CLI (wasm shim): ${cmd}`)
  try {
    const p = sqlitePath(url)
    if (cmd === 'can-connect-to-database') {
      if (p !== ':memory:' && !existsSync(p)) {
        log('ERROR', `Database \`${path.basename(p)}\` does not exist at \`${p}\`.`, { error_code: 'P1003' })
        process.exit(1)
      }
    } else if (cmd === 'create-database') {
      if (p !== ':memory:') { mkdirSync(path.dirname(p), { recursive: true }); const Database = require('better-sqlite3'); new Database(p).close() }
    } else if (cmd === 'drop-database') {
      if (p !== ':memory:') for (const s of ['', '-wal', '-shm', '-journal']) rmSync(p + s, { force: true })
    } else throw new Error(`unsupported cli subcommand ${cmd}`)
    process.exit(0)
  } catch (e) {
    log('ERROR', String(e?.message ?? e))
    process.exit(1)
  }
}

// ---- JSON-RPC mode ----
if (url && !url.startsWith('file:')) {
  log('ERROR', `schema-engine-wasm shim supports only SQLite file: URLs`)
  process.exit(1)
}
const datamodels = datamodelPaths.map((p) => [p, readFileSync(p, 'utf8')])
const se = await openSchemaEngine({ url, shadowUrl: datasource?.shadowDatabaseUrl, datamodels, debug: dbg })
const { engine } = se

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
let printId = 1_000_000

function toRpcError(id, e) {
  // Engine user-facing errors carry {code: 'Pxxxx', message, meta}; others are plain errors.
  const data = e && typeof e === 'object' && typeof e.code === 'string'
    ? { is_panic: false, message: e.message, error_code: e.code, meta: e.meta ?? null }
    : { is_panic: /unreachable|panicked/i.test(String(e?.message)), message: String(e?.message ?? e), meta: null }
  return { jsonrpc: '2.0', id, error: { code: 4466, message: 'An error happened. Check the data field for details.', data } }
}

async function handle(method, p) {
  switch (method) {
    case 'getDatabaseVersion': return await engine.version()
    case 'createDatabase': return { databaseName: path.basename(se.dbPath) }
    case 'reset': await se.reset(p); return {}
    case 'diff': {
      const r = await engine.diff(p)
      // The native engine prints through a `print` request to the CLI instead of returning stdout.
      if (r.stdout) out({ jsonrpc: '2.0', id: printId++, method: 'print', params: { content: r.stdout.replace(/\n$/, '') } })
      return { exitCode: r.exitCode }
    }
    case 'dbExecute': await engine.dbExecute(p); return {}
    case 'evaluateDataLoss': case 'createMigration':
      await se.primeMigrationCache(p.migrationsList, p.filters)
      return await engine[method](p)
    case 'applyMigrations': case 'devDiagnostic': case 'diagnoseMigrationHistory': case 'ensureConnectionValidity':
    case 'introspect': case 'markMigrationApplied': case 'markMigrationRolledBack': case 'schemaPush': case 'introspectSql':
      return (await engine[method](p)) ?? {}
    case 'debugPanic': return engine.debugPanic()
    default: throw new Error(`schema-engine-wasm shim: method ${method} is not supported`)
  }
}

let chain = Promise.resolve() // one request at a time, like the native engine
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
rl.on('line', (line) => {
  if (!line.trim()) return
  let req
  try { req = JSON.parse(line) } catch { return }
  if (req.method === undefined) return // the CLI's answer to our `print` request
  chain = chain.then(async () => {
    dbg(`[rpc] -> ${line.slice(0, 300)}`)
    try {
      const result = await handle(req.method, req.params ?? {})
      dbg(`[rpc] <- ${JSON.stringify(result)?.slice(0, 300)}`)
      out({ jsonrpc: '2.0', id: req.id, result: result ?? null })
    } catch (e) {
      dbg(`[rpc] error ${e?.stack ?? e}`)
      out(toRpcError(req.id, e))
    }
  })
})
rl.on('close', () => { chain.then(async () => { await se.close(); process.exit(0) }) })
