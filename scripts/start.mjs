#!/usr/bin/env node
// `npm start`: build the bins and the dashboard if they are missing or older than their sources,
// then run `hive serve`.
// Stop signals reach whatever runs: npm forwards SIGINT and SIGTERM to this script, which forwards
// them (and SIGHUP) to its child and exits as the child did.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { build, isStale } from './build.mjs'

const root = new URL('..', import.meta.url).pathname
const web = join(root, 'apps/web')
const built = join(web, 'out/index.html')

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP']
/**
 * ms in which the same signal again is the same request: a ^C reaches this script twice, from the
 * terminal and forwarded by npm. `hive serve` takes a second signal as "stop now".
 */
const REPEAT_WINDOW_MS = 1_000
/** util-linux: `hive serve` gets SIGTERM if this script dies without forwarding (e.g. SIGKILL). */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p))

let current
let stopping
const lastForwarded = new Map()
for (const signal of FORWARDED) {
  process.on(signal, () => {
    stopping ??= signal
    const now = Date.now()
    if (now - (lastForwarded.get(signal) ?? -Infinity) < REPEAT_WINDOW_MS) return
    lastForwarded.set(signal, now)
    current?.kill(signal)
  })
}

/** Runs one child to its end; resolves to how it ended. */
function run(command, args, options) {
  const child = spawn(command, args, { cwd: root, ...options })
  current = child
  return new Promise((resolve) => {
    child.once('error', (err) => resolve({ code: 1, signal: null, err }))
    child.once('exit', (code, signal) => resolve({ code, signal }))
  }).finally(() => (current = undefined))
}

/** Leaves as the child did: a child killed by a signal kills this script with it. */
function exitAs({ code, signal }) {
  if (signal) {
    for (const s of FORWARDED) process.removeAllListeners(s)
    process.kill(process.pid, signal)
  }
  process.exit(code ?? 1)
}

function newest(dir) {
  let t = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', '.next', 'out'].includes(entry.name)) continue
    const p = join(dir, entry.name)
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

if (isStale()) {
  console.log('◆ building hive (apps/harness → dist)…')
  try {
    await build()
  } catch (e) {
    console.error(`✗ build failed: ${e.message}`)
    process.exit(1)
  }
}
if (!existsSync(built) || statSync(built).mtimeMs < newest(web)) {
  console.log('◆ building the dashboard (apps/web)…')
  const build = await run('npm', ['run', '--silent', 'build', '-w', '@hive/web'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  })
  if (build.code !== 0 && !stopping) console.error('✗ dashboard build failed; starting without it')
}
if (stopping) exitAs({ code: null, signal: stopping })

const serve = [process.execPath, join(root, 'apps/harness/bin/hive.mjs'), 'serve']
// Its own process group: the terminal's ^C reaches it once, through this script, not twice.
exitAs(await run(SETPRIV ?? serve[0], SETPRIV ? ['--pdeathsig', 'SIGTERM', '--', ...serve] : serve.slice(1), { stdio: 'inherit', detached: true }))
