#!/usr/bin/env node
// `npm run build`: the harness's bins as bundled JavaScript (esbuild), so nothing compiles
// TypeScript at run time. `--if-stale` builds only when a source is newer than the last build.
// The dashboard export is built by `npm run build -w @hive/web` (npm start and npm test run both).
import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
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

const SOURCES = ['apps/harness/src', 'apps/harness/prompts', 'packages/mcp/src', 'packages/db/src', 'packages/db/tools', 'prisma', 'package-lock.json']

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
  if (!existsSync(STAMP)) return true
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
    })
  }
  writeFileSync(join(next, '.built'), `${new Date().toISOString()}\n`)
  const old = `${OUT_DIR}.old-${process.pid}`
  if (existsSync(OUT_DIR)) renameSync(OUT_DIR, old)
  renameSync(next, OUT_DIR)
  rmSync(old, { recursive: true, force: true })
  return Date.now() - started
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
