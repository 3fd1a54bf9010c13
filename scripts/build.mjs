#!/usr/bin/env node
// `npm run build`: the harness's bins as bundled JavaScript (esbuild), so nothing compiles
// TypeScript at run time. `--if-stale` builds only when a source is newer than the last build.
// The dashboard export is built by `npm run build -w @hive/web` (npm start and npm test run both).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = new URL('..', import.meta.url).pathname
// Two levels under apps/harness, like src/<layer>/: the sources' `new URL('../../…', import.meta.url)`
// (prompts, bins, package.json, prisma/ at the root) resolve the same from the bundle.
const OUT_DIR = join(root, 'apps/harness/dist/bin')
const STAMP = join(OUT_DIR, '.built')

/** Each bin is bundled on its own, so the CLI never loads the agent's chunks or the other way round. */
const BINS = [
  { name: 'hive', entry: 'apps/harness/src/cli/main.ts' },
  { name: 'hive-agent', entry: 'apps/harness/src/agent/main.ts' },
]

/** Resolved from node_modules at run time: native addons, and packages that load files beside themselves. */
const EXTERNAL = ['better-sqlite3', 'node-pty', '@prisma/*', 'dbus-next']

const SOURCES = ['apps/harness/src', 'apps/harness/prompts', 'apps/harness/package.json', 'packages/mcp/src', 'packages/db/src', 'packages/db/tools', 'prisma', 'package-lock.json']

/** The harness's version, stamped into the bundles (the CLI snapshot cannot read package.json by its own URL). */
const VERSION = JSON.parse(readFileSync(join(root, 'apps/harness/package.json'), 'utf8')).version

/**
 * The Node binary building (and so allowed to run) the CLI snapshot, as bin/hive checks it:
 * `stat -L -c '%s %Y'` of the `node` it finds. Another Node makes the build stale.
 */
function nodeIdentity() {
  const node = statSync(realpathSync(process.execPath))
  return `${node.size} ${Math.floor(node.mtimeMs / 1000)}\n`
}
const NODE_IDENTITY = join(OUT_DIR, 'hive.blob.node')

function newest(path) {
  const full = join(root, path)
  if (!existsSync(full)) return 0
  const stat = statSync(full)
  if (!stat.isDirectory()) return stat.mtimeMs
  let t = 0
  for (const entry of readdirSync(full, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.endsWith('.test.ts')) continue
    t = Math.max(t, newest(join(path, entry.name)))
  }
  return t
}

/** Whether the bundle is missing or older than a source it is built from. */
export function isStale() {
  if (!existsSync(STAMP) || !existsSync(NODE_IDENTITY) || readFileSync(NODE_IDENTITY, 'utf8') !== nodeIdentity()) return true
  const built = statSync(STAMP).mtimeMs
  return SOURCES.some((s) => newest(s) > built)
}

/** Builds the bins; returns the wall time in ms. */
export async function build() {
  const started = Date.now()
  const { build: esbuild } = await import('esbuild')
  // Built beside and swapped in, so a running hive never sees a half-written bundle.
  const next = `${OUT_DIR}.next-${process.pid}`
  rmSync(next, { recursive: true, force: true })
  for (const bin of BINS) {
    await esbuild({
      absWorkingDir: root,
      entryPoints: { [bin.name]: bin.entry },
      outdir: next,
      entryNames: '[name]',
      chunkNames: `${bin.name}-[name]-[hash]`,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20.19',
      external: EXTERNAL,
      // Bundled CommonJS (commander, pino…) calls require(): give the ESM output one.
      banner: { js: "import { createRequire as __hiveRequire } from 'node:module'; const require = __hiveRequire(import.meta.url);" },
      sourcemap: 'linked',
      legalComments: 'none',
      logLevel: 'warning',
      define: { __HIVE_VERSION__: JSON.stringify(VERSION) },
    })
  }
  await buildCliSnapshot(esbuild, next)
  writeFileSync(join(next, '.built'), `${new Date().toISOString()}\n`)
  const old = `${OUT_DIR}.old-${process.pid}`
  if (existsSync(OUT_DIR)) renameSync(OUT_DIR, old)
  renameSync(next, OUT_DIR)
  rmSync(old, { recursive: true, force: true })
  return Date.now() - started
}

/**
 * The CLI's V8 startup snapshot, `hive.blob`: one CommonJS file (a snapshot loads no modules but
 * Node's own) run by `node --build-snapshot`, so commander and the protocol's schemas are already
 * loaded when a verb starts. bin/hive uses it with the Node that built it, the ES module bin otherwise.
 */
async function buildCliSnapshot(esbuild, dir) {
  const entry = join(dir, 'hive-snapshot.cjs')
  await esbuild({
    absWorkingDir: root,
    entryPoints: ['apps/harness/src/cli/snapshot-entry.ts'],
    outfile: entry,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20.19',
    legalComments: 'none',
    logLevel: 'warning',
    define: { __HIVE_VERSION__: JSON.stringify(VERSION), 'import.meta.url': 'undefined' },
  })
  const r = spawnSync(process.execPath, ['--snapshot-blob', join(dir, 'hive.blob'), '--build-snapshot', entry], {
    cwd: dir,
    // commander requires child_process at load: Node notes it is "not yet fully verified" in snapshots.
    env: { ...process.env, NODE_OPTIONS: '', NODE_NO_WARNINGS: '1' },
    encoding: 'utf8',
  })
  if (r.status !== 0) throw new Error(`building the CLI snapshot failed (${r.status ?? r.signal}): ${r.stderr}`)
  writeFileSync(join(dir, 'hive.blob.node'), nodeIdentity())
}

/** For test and bench setups: build once when the sources changed. */
export async function buildIfStale() {
  if (isStale()) await build()
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--if-stale') && !isStale()) {
    process.stdout.write('◆ hive bins are up to date\n')
  } else {
    const ms = await build()
    process.stdout.write(`◆ built hive and hive-agent into apps/harness/dist/bin (${ms} ms)\n`)
  }
}
