import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const HIVE_CLI = fileURLToPath(new URL('../bin/hive', import.meta.url))
const BLOB = fileURLToPath(new URL('../dist/bin/hive.blob', import.meta.url))

/**
 * `hive` as installed runs its verbs from the CLI's V8 startup snapshot, built by `npm run build`.
 * What a snapshot freezes must not be the build's: the environment and argv are the run's, and a
 * snapshot Node refuses falls back to the ES module bin with the same answers.
 */
describe('the CLI startup snapshot', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'hive-cli-snapshot-'))
  afterAll(() => rmSync(cwd, { recursive: true, force: true }))
  const hive = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(HIVE_CLI, args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } })

  it('is built, and answers from it', () => {
    expect(existsSync(BLOB)).toBe(true)
    const version = hive(['--version'])
    expect(version.status).toBe(0)
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
    const help = hive(['help', 'dead-letters'])
    expect(help.stdout).toContain('Usage: hive dead-letters [options]')
  })

  it('is what `npx hive` runs: the workspace bin links the sh bin', () => {
    const link = fileURLToPath(new URL('../../../node_modules/.bin/hive', import.meta.url))
    expect(realpathSync(link)).toBe(realpathSync(HIVE_CLI))
  })

  it('reads HIVE_HOME and the working directory of the run, not of the build', () => {
    const r = hive(['list'], { HIVE_HOME: 'some-home' })
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(`cannot connect to ${join(cwd, 'some-home', 'run', 'host.sock')}`)
    const bad = hive(['list'], { LOG_LEVEL: 'loud' })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('LOG_LEVEL')
  })

  it('leaves the snapshot to the ES module bin under NODE_OPTIONS (V8 flags make Node refuse it) or when told to', () => {
    const viaSnapshot = hive(['bogus-verb'])
    expect(viaSnapshot.status).toBe(1)
    expect(viaSnapshot.stderr).toContain("unknown command 'bogus-verb'")
    for (const env of [{ NODE_OPTIONS: '--max-old-space-size=64' }, { HIVE_NO_SNAPSHOT: '1' }] as Record<string, string>[]) {
      const r = hive(['bogus-verb'], env)
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: viaSnapshot.status, stderr: viaSnapshot.stderr })
    }
  })

  it('answers through the ES module bin, saying why, when Node refuses a snapshot built by another Node', () => {
    // A copy of the install whose snapshot claims another Node version (same length, so the blob stays whole).
    const install = join(cwd, 'install')
    cpSync(fileURLToPath(new URL('../bin', import.meta.url)), join(install, 'bin'), { recursive: true })
    cpSync(fileURLToPath(new URL('../dist/bin', import.meta.url)), join(install, 'dist', 'bin'), { recursive: true })
    // Its header names the Node that built it (without the v), before the heap.
    const blob = readFileSync(BLOB)
    const version = process.version.slice(1)
    const at = blob.indexOf(version)
    expect(at).toBeLessThan(64)
    blob.write(version.replace(/\d$/, (d) => String((Number(d) + 1) % 10)), at)
    writeFileSync(join(install, 'dist', 'bin', 'hive.blob'), blob)

    const r = spawnSync(join(install, 'bin', 'hive'), ['--version'], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })
    expect(r.status).toBe(0)
    expect(r.stdout.trim()).toBe(hive(['--version']).stdout.trim())
    expect(r.stderr).toContain('hive: the CLI snapshot does not fit this Node; npm run build makes a new one')
  })
})
