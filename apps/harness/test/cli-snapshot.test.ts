import { spawn, spawnSync } from 'node:child_process'
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

  it('runs as node itself on the snapshot (exec: signals reach it), reading stdin', async () => {
    const child = spawn(HIVE_CLI, ['send', 'worker', '-'], { cwd, env: { PATH: process.env.PATH ?? '', HIVE_HOME: join(cwd, 'no-hive') }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    // Waiting for its body on stdin: the process we spawned is node on the blob by now.
    const argvOf = () => readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')
    await expect.poll(() => argvOf().includes('--snapshot-blob')).toBe(true)
    const argv = argvOf()
    expect(realpathSync(argv[argv.indexOf('--snapshot-blob') + 1] ?? '')).toBe(realpathSync(BLOB))
    child.stdin.end('the body\n')
    const code = await new Promise((resolve) => child.once('close', resolve))
    expect(code).toBe(1)
    expect(stderr).toContain(`cannot connect to ${join(cwd, 'no-hive', 'run', 'host.sock')}`)
  })

  it('uses the ES module bin, with the same answers, when the node here is not the one that built the snapshot', () => {
    // A copy of the install whose snapshot says another Node binary built it.
    const install = join(cwd, 'install')
    cpSync(fileURLToPath(new URL('../bin', import.meta.url)), join(install, 'bin'), { recursive: true })
    cpSync(fileURLToPath(new URL('../dist/bin', import.meta.url)), join(install, 'dist', 'bin'), { recursive: true })
    const copy = (args: string[]) => spawnSync(join(install, 'bin', 'hive'), args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })
    const identity = join(install, 'dist', 'bin', 'hive.blob.node')
    // Built by another node; then a dist from before the build recorded one at all.
    for (const prepare of [() => writeFileSync(identity, '1 1\n'), () => rmSync(identity)]) {
      prepare()
      for (const args of [['--version'], ['bogus-verb']]) {
        const [ours, theirs] = [hive(args), copy(args)]
        expect({ status: theirs.status, stdout: theirs.stdout, stderr: theirs.stderr }).toEqual({ status: ours.status, stdout: ours.stdout, stderr: ours.stderr })
      }
    }
  })
})
