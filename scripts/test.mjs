#!/usr/bin/env node
// `npm test`: every suite, in order, stopping at the first failure. OS packages that a suite
// needs are installed with apt-get when we are root; otherwise that suite is skipped, loudly.
import { spawnSync } from 'node:child_process'

const steps = [
  // The bins run the bundle: every suite below tests what users run.
  { name: 'build (esbuild bundles of hive and hive-agent)', cmd: ['npm', 'run', '--silent', 'build'] },
  { name: 'typecheck', cmd: ['npm', 'run', '--silent', 'typecheck'] },
  { name: 'lint', cmd: ['npm', 'run', '--silent', 'lint'] },
  // Without nix-instantiate (nix-bin) only the Nix template's tests are skipped.
  { name: 'unit', cmd: ['npx', 'vitest', 'run', '--project', 'unit'], wants: ['nix-instantiate'] },
  {
    name: 'integration (real claude CLI + fake model)',
    cmd: ['npx', 'vitest', 'run', '--project', 'integration'],
    needs: ['git'],
    // Without them (or without root) only the nspawn runtime's tests and the systemd testbed's
    // (a booted nspawn of / whose system bus is dbus-daemon) are skipped.
    wants: ['systemd-nspawn', 'dbus-daemon'],
  },
  { name: 'dashboard build', cmd: ['npm', 'run', '--silent', 'build', '-w', '@hive/web'] },
  { name: 'e2e (Playwright + Debian chromium)', cmd: ['npx', 'playwright', 'test'], needs: ['git', 'chromium'] },
]

/** Debian package that provides each command a suite needs. */
const PACKAGE_OF = { git: 'git', chromium: 'chromium', 'systemd-nspawn': 'systemd-container', 'nix-instantiate': 'nix-bin', 'dbus-daemon': 'dbus' }

function have(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
}

function ensure(commands) {
  const missing = commands.filter((c) => !have(c))
  if (missing.length === 0) return true
  const packages = [...new Set(missing.map((c) => PACKAGE_OF[c]))]
  if (process.getuid?.() !== 0) {
    console.error(`✗ missing ${missing.join(', ')} (apt-get install ${packages.join(' ')}); not root, so skipping this suite`)
    return false
  }
  console.log(`◆ installing ${packages.join(' ')} with apt-get`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  const r = spawnSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env })
  return r.status === 0 && missing.every(have)
}

const skipped = []
for (const step of steps) {
  if (step.needs && !ensure(step.needs)) {
    skipped.push(step.name)
    continue
  }
  if (step.wants && (process.getuid?.() !== 0 || !ensure(step.wants))) {
    console.error(`✗ ${step.wants.join(', ')} unavailable (needs root and apt-get): their tests in "${step.name}" are skipped`)
    skipped.push(`${step.wants.join(', ')} tests`)
  }
  console.log(`\n◆ ${step.name}`)
  const started = Date.now()
  const r = spawnSync(step.cmd[0], step.cmd.slice(1), { stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } })
  if (r.status !== 0) {
    console.error(`\n✗ ${step.name} failed (exit ${r.status ?? r.signal})`)
    process.exit(1)
  }
  console.log(`✓ ${step.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
}
if (skipped.length) {
  console.error(`\n⚠ SKIPPED (missing OS packages): ${skipped.join(', ')}`)
  process.exit(1)
}
console.log('\n✓ all suites passed')
