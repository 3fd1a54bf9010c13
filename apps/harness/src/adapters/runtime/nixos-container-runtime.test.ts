import { once } from 'node:events'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HiveErrorCode, MANAGER_NAME } from '@hive/mcp'
import { REPO_ROOT } from '../../../test/support/nix-instantiate.ts'
import { StandinUnits } from '../../../test/support/standin-units.ts'
import { UNIT_IFACE } from './systemd-bus.ts'
import { ensureAgentDirs } from '../agent-dirs.ts'
import { HivePaths } from '../hive-paths.ts'
import type { PtySpawn } from '../pty/pty-session.ts'
import type { AgentLaunch, ContainerExit } from './container-runtime.ts'
import { NixosContainerRuntime, nspawnFlags, type NixosContainerRuntimeOptions } from './nixos-container-runtime.ts'
import { UidRange } from './uid-range.ts'

const STANDIN = join(REPO_ROOT, 'apps/harness/test/support/nixos-container-standin.mjs')
const PACKAGE = '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hyperhive-0.1.0/lib/hyperhive'
const NIXPKGS = '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-source'
const ALPHA: AgentLaunch = { name: 'alpha', role: 'agent', uidBase: UidRange.FIRST_BASE + UidRange.SIZE, configOwnerUid: UidRange.FIRST_BASE }
const MANAGER: AgentLaunch = { name: MANAGER_NAME, role: 'manager', uidBase: UidRange.FIRST_BASE, configOwnerUid: null }

interface Call {
  tool: string
  argv: string[]
  env: Record<string, string>
}

const notRoot = process.getuid?.() !== 0
if (notRoot) console.warn('⚠ SKIPPED: the nixos-container runtime tests chown agent state to its uid range, which needs root')

describe.skipIf(notRoot)('the nixos-container runtime, against a recorded stand-in for nixos-container and systemctl', () => {
  let root: string
  let state: string
  let paths: HivePaths
  let options: NixosContainerRuntimeOptions
  let runtime: NixosContainerRuntime
  const spawnMarker: PtySpawn = () => {
    throw new Error('not spawned in these tests')
  }

  /** A wrapper per tool: the runtime runs it with its own environment, which the stand-in records. */
  function wrapper(tool: string): string {
    mkdirSync(join(root, 'bin'), { recursive: true })
    const file = join(root, 'bin', tool)
    writeFileSync(file, `#!/bin/sh\nSTANDIN_RECORD='${join(root, 'record')}' STANDIN_STATE='${state}' exec '${process.execPath}' '${STANDIN}' ${tool} "$@"\n`)
    chmodSync(file, 0o755)
    return file
  }

  const calls = (): Call[] =>
    existsSync(join(root, 'record'))
      ? readFileSync(join(root, 'record'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Call)
      : []
  const argvs = () => calls().map((c) => [c.tool, ...c.argv].join(' '))
  const forget = () => rmSync(join(root, 'record'), { force: true })
  const confOf = (container: string) => readFileSync(join(state, 'conf', `${container}.conf`), 'utf8')
  /** What systemd would do to the unit on its own (a crash): written whole, as the stand-in does. */
  const setUnit = (container: string, active: string, result: string, status: number) => {
    const [dir, unit] = [join(state, 'units'), `container@${container}.service`]
    writeFileSync(join(dir, `.${unit}`), JSON.stringify({ active, result, status }))
    renameSync(join(dir, `.${unit}`), join(dir, unit))
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hive-nixos-'))
    state = join(root, 'standin')
    paths = new HivePaths(join(root, 'home'))
    const log = pino({ level: 'silent' })
    ensureAgentDirs(paths, log, MANAGER_NAME, 'the hive manager', 'manager')
    ensureAgentDirs(paths, log, 'alpha')
    options = {
      units: new StandinUnits(join(state, 'units')),
      paths,
      log,
      projectRoot: PACKAGE,
      agentBin: `${PACKAGE}/apps/harness/bin/hive-agent.mjs`,
      claudeBin: `${PACKAGE}/node_modules/@anthropic-ai/claude-code/bin/claude.exe`,
      baseEnv: { LOG_LEVEL: 'info', CLAUDE_CODE_MAX_RETRIES: '1' },
      terminals: { spawner: () => spawnMarker },
      nixpkgs: NIXPKGS,
      templateDir: join(REPO_ROOT, 'nix'),
      toolPath: '/usr/bin:/bin',
      commands: { nixosContainer: wrapper('nixos-container'), systemctl: wrapper('systemctl') },
      confDir: join(state, 'conf'),
      unitDir: join(root, 'units'),
    }
    runtime = new NixosContainerRuntime(options)
  })

  afterEach(async () => {
    await runtime.dispose()
    rmSync(root, { recursive: true, force: true })
  })

  it('creates the container from the generated flake, confines it, starts it and stops it', async () => {
    const started = once(runtime.events, 'started')
    await runtime.start(ALPHA)
    await started
    const applied = paths.appliedRepo('alpha')
    expect(argvs()).toEqual([
      `nixos-container create h-alpha --flake path:${applied}#h-alpha --no-write-lock-file`,
      'systemctl daemon-reload',
      'nixos-container start h-alpha',
    ])
    expect(runtime.status('alpha')).toBe('running')

    // The tools get the daemon's tool PATH and nothing of its model credentials.
    for (const call of calls()) expect(Object.keys(call.env).filter((k) => k !== 'PWD' && k !== 'SHLVL' && k !== '_').sort()).toEqual(['HOME', 'LANG', 'PATH'])

    // The flake and its template are in the applied repo; nixos-container's addresses are gone.
    expect(readFileSync(join(applied, 'flake.nix'), 'utf8')).toContain('template = import ./nix/agent.nix;')
    expect(existsSync(join(applied, 'nix', 'bash-pattern.nix'))).toBe(true)
    const conf = confOf('h-alpha')
    expect(conf).toMatch(/^HOST_ADDRESS=$/m)
    expect(conf).toMatch(/^LOCAL_ADDRESS=$/m)
    expect(conf).toContain('PRIVATE_NETWORK=1\n')
    expect(conf).toContain(`FLAKE=path:${applied}\n`)
    expect(conf).toContain(`PRIVATE_USERS=${ALPHA.uidBase}\n`)
    const flags = nspawnFlags(paths, null, ALPHA, ALPHA.uidBase ?? 0, { memoryMB: 2048, pids: 512, cpuWeight: 100 })
    expect(conf).toContain(`EXTRA_NSPAWN_FLAGS="${flags.join(' ')}"\n`)
    expect(flags).toContain(`--bind=${paths.agentStateDir('alpha')}:/state`)
    expect(flags).toContain(`--private-users=${ALPHA.uidBase}:65536`)
    // Run from the Nix store: no checkout to bind.
    expect(flags.some((f) => f.startsWith('--bind-ro='))).toBe(false)
    expect(readFileSync(join(root, 'units', 'container@h-alpha.service.d', '50-hyperhive.conf'), 'utf8')).toContain('MemoryMax=2048M\nTasksMax=512\nCPUWeight=100\nRestart=no\n')

    // The host side as under nspawn: state is the range's root, the socket dir root's with its group.
    expect(statSync(paths.agentStateDir('alpha')).uid).toBe(ALPHA.uidBase)
    expect(statSync(paths.agentClaudeDir('alpha')).uid).toBe(ALPHA.uidBase)
    const run = statSync(paths.agentRunDir('alpha'))
    expect([run.uid, run.gid, run.mode & 0o777]).toEqual([0, ALPHA.uidBase, 0o750])

    forget()
    const exited = once(runtime.events, 'exit') as Promise<[ContainerExit]>
    await runtime.stop('alpha')
    expect(argvs()).toEqual(['nixos-container stop h-alpha'])
    expect((await exited)[0]).toMatchObject({ name: 'alpha', expected: true })
    expect(runtime.status('alpha')).toBe('stopped')
  })

  it('rebuilds nothing for an unchanged agent.json, and updates the container when it changed', async () => {
    await runtime.start(ALPHA)
    await runtime.stop('alpha')
    forget()
    await runtime.start(ALPHA)
    expect(argvs()).toEqual(['systemctl daemon-reload', 'nixos-container start h-alpha'])
    await runtime.stop('alpha')

    writeFileSync(paths.appliedConfig('alpha'), JSON.stringify({ model: 'sonnet', limits: { memoryMB: 512 } }))
    forget()
    await runtime.start(ALPHA)
    expect(argvs()).toContain(`nixos-container update h-alpha --flake path:${paths.appliedRepo('alpha')}#h-alpha --no-write-lock-file`)
    expect(readFileSync(join(root, 'units', 'container@h-alpha.service.d', '50-hyperhive.conf'), 'utf8')).toContain('MemoryMax=512M\n')
    expect(confOf('h-alpha')).toContain(',size=128M ')
  })

  it('reports a container that went down by itself as a crash, with the unit’s result; its own stops are no crash', async () => {
    const exits: ContainerExit[] = []
    runtime.events.on('exit', (exit) => exits.push(exit))
    const announced = (active: string) =>
      new Promise<void>((resolve) => options.units.events.on('properties', (_path, iface, changed) => iface === UNIT_IFACE && changed.ActiveState === active && resolve()))

    await runtime.start(ALPHA)
    const stopped = announced('inactive')
    await runtime.stop('alpha')
    await stopped
    expect(exits).toEqual([{ name: 'alpha', code: null, signal: null, expected: true }])

    await runtime.start(ALPHA)
    let exited = once(runtime.events, 'exit') as Promise<[ContainerExit]>
    setUnit('h-alpha', 'failed', 'exit-code', 1)
    expect((await exited)[0]).toEqual({ name: 'alpha', code: 1, signal: null, expected: false, reason: 'container@h-alpha.service is failed (exit-code)', result: 'exit-code' })
    expect(runtime.status('alpha')).toBe('failed')

    await runtime.start(ALPHA)
    exited = once(runtime.events, 'exit') as Promise<[ContainerExit]>
    setUnit('h-alpha', 'failed', 'oom-kill', 9)
    expect((await exited)[0]).toMatchObject({ name: 'alpha', expected: false, reason: 'killed: out of memory (limit 2048 MB)', result: 'oom-kill' })
  })

  it('stops a container left running by a previous daemon before starting it', async () => {
    await runtime.start(ALPHA)
    // A new daemon (a new runtime) finds the unit still active.
    const again = new NixosContainerRuntime({ ...options, units: new StandinUnits(join(state, 'units')) })
    forget()
    await again.start(ALPHA)
    expect(argvs()).toEqual(['nixos-container stop h-alpha', 'systemctl daemon-reload', 'nixos-container start h-alpha'])
    await again.dispose()
  })

  it('refuses a container of that name built from another flake, running nothing', async () => {
    mkdirSync(join(state, 'conf'), { recursive: true })
    writeFileSync(join(state, 'conf', 'h-alpha.conf'), 'PRIVATE_NETWORK=1\nFLAKE=path:/srv/another-hive/applied/alpha\n')
    await expect(runtime.start(ALPHA)).rejects.toMatchObject({ code: HiveErrorCode.Conflict, message: expect.stringContaining('it is not agent alpha of this hive') as unknown })
    expect(calls()).toEqual([])
    expect(runtime.status('alpha')).toBe('stopped')
  })

  it('fails a start whose build fails with nix’s own words, and starts nothing', async () => {
    mkdirSync(state, { recursive: true })
    writeFileSync(join(state, 'build-fails'), "error: builder for '/nix/store/…-nixos-system-h-alpha.drv' failed with exit code 1")
    await expect(runtime.start(ALPHA)).rejects.toThrow(/nixos-container create h-alpha failed \(exit 1\):\n.*builder for .* failed/s)
    expect(argvs().some((a) => a.includes(' start '))).toBe(false)
    expect(runtime.status('alpha')).toBe('stopped')
  })

  it('gives the manager every agent dir at /agents and its own environment', async () => {
    await runtime.start(MANAGER)
    const flags = /^EXTRA_NSPAWN_FLAGS="(.*)"$/m.exec(confOf('h-manager'))?.[1]?.split(' ')
    expect(flags).toContain(`--bind=${join(paths.home, 'agents')}:/agents`)
    const flake = readFileSync(join(paths.appliedRepo(MANAGER_NAME), 'flake.nix'), 'utf8')
    expect(flake).toContain('"HIVE_AGENTS_DIR" = "/agents";')
    expect(flake).toContain('"HIVE_SOCKET" = "/run/hive/mcp.sock";')
    expect(flake).toContain('"ANTHROPIC_BASE_URL" = "http://127.0.0.1:7180";')
    expect(flake).toContain('"CLAUDE_CODE_MAX_RETRIES" = "1";')
    expect(flake).toContain(`command = [ "${process.execPath}" "${PACKAGE}/apps/harness/bin/hive-agent.mjs" "serve" ];`)
    // The manager owns every proposed config repo, as under nspawn.
    expect(statSync(paths.agentConfigRepo('alpha')).uid).toBe(MANAGER.uidBase)
  })

  it('opens terminals through the payload, as under nspawn, and only while running', async () => {
    expect(() => runtime.terminal('alpha', 'shell')).toThrow(/not running/)
    await runtime.start(ALPHA)
    expect(runtime.terminal('alpha', 'shell')).toEqual({ argv: ['/bin/bash', '--login'], cwd: '/state', env: {}, spawn: spawnMarker })
    expect(runtime.terminal('alpha', 'claude').argv).toEqual([`${PACKAGE}/node_modules/@anthropic-ai/claude-code/bin/claude.exe`, '--continue'])
  })

  it('destroys the container and its drop-in on purge', async () => {
    await runtime.start(ALPHA)
    forget()
    await runtime.remove('alpha')
    expect(argvs()).toEqual(['nixos-container stop h-alpha', 'nixos-container destroy h-alpha'])
    expect(existsSync(join(state, 'conf', 'h-alpha.conf'))).toBe(false)
    expect(existsSync(join(root, 'units', 'container@h-alpha.service.d'))).toBe(false)
  })
})
