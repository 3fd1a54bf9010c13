#!/usr/bin/env node
// `npm start`: build the dashboard if it is missing or older than its sources, then run `hive serve`.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const web = join(root, 'apps/web')
const built = join(web, 'out/index.html')

function newest(dir) {
  let t = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', '.next', 'out'].includes(entry.name)) continue
    const p = join(dir, entry.name)
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

if (!existsSync(built) || statSync(built).mtimeMs < newest(web)) {
  console.log('◆ building the dashboard (apps/web)…')
  const r = spawnSync('npm', ['run', '--silent', 'build', '-w', '@hive/web'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  })
  if (r.status !== 0) {
    console.error('✗ dashboard build failed; starting without it')
  }
}
const serve = spawnSync(process.execPath, [join(root, 'apps/harness/bin/hive.mjs'), 'serve'], { cwd: root, stdio: 'inherit' })
process.exit(serve.status ?? 1)
