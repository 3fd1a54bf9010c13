import { EventEmitter } from 'node:events'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import type { Logger } from 'pino'
import { HiveError, HiveErrorCode } from '@hive/mcp'
import type { TerminalKind } from '@hive/mcp/terminal-frames'
import { ContainerLimits, type AgentConfig } from '../../domain/agent-config.ts'
import { readAppliedConfig } from '../agent-dirs.ts'
import { childEnv } from '../child-env.ts'
import type { HivePaths } from '../hive-paths.ts'
import type { TerminalSpec } from '../pty/pty-registry.ts'
import type { PtyRelay } from '../pty/pty-relay.ts'
import { nixSystem, writeAgentFlake, type AgentFlakeSpec } from './agent-flake.ts'
import type { AgentLaunch, ContainerExit, ContainerRuntime, ContainerRuntimeEvents, ContainerState } from './container-runtime.ts'
import { CrashWatcher, isDown, type UnitDown, type UnitSource } from './crash-watcher.ts'
import { runHostCommand } from './host-command.ts'
import { readContainerConf, renderContainerConf, renderLimitsDropIn } from './nixos-container-conf.ts'
import { containerName } from './nixos-container-name.ts'
import { gatewayEnv, Inside, NspawnRuntime, scratchMB } from './nspawn-runtime.ts'
import { resultReason, signalName } from './systemd-units.ts'
import { UidRange } from './uid-range.ts'

const Timing = {
  /** create/update build the container's system (nix build): compiling is possible, so a long bound. */
  BUILD_TIMEOUT_MS: 30 * 60_000,
  /** start/stop wait for the container's systemd (container@.service has TimeoutStartSec=1min). */
  UNIT_TIMEOUT_MS: 3 * 60_000,
  /** systemctl daemon-reload. */
  QUERY_TIMEOUT_MS: 15_000,
} as const

/** Where the host keeps what the daemon writes for each container. */
const HostFiles = {
  /** nixos-container's configuration directory (NixOS ≥ 22.05). */
  CONF_DIR: '/etc/nixos-containers',
  /** Runtime unit drop-ins: gone at reboot, rewritten at every start. */
  UNIT_DIR: '/run/systemd/system',
  DROP_IN: '50-hyperhive.conf',
} as const

/** The Nix store: paths under it are in every NixOS container (its /nix/store is the host's). */
const NIX_STORE = '/nix/store/'
/** Every NixOS system has the CA bundle here. */
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'

export interface NixosContainerRuntimeOptions {
  paths: HivePaths
  log: Logger
  /** The install (repo checkout or the Nix package's lib/hyperhive). */
  projectRoot: string
  /** `hive-agent` entry on the host, under projectRoot. */
  agentBin: string
  /** The claude executable on the host, under projectRoot. */
  claudeBin: string
  /** Passed into every container's environment: no secrets (it lands in the Nix store). */
  baseEnv: Record<string, string>
  /** Terminals: the payload spawns them and connects back (pty-relay.ts), as under nspawn. */
  terminals: Pick<PtyRelay, 'spawner'>
  /** The nixpkgs containers are built from (services.hyperhive sets HIVE_NIXPKGS to the host's). */
  nixpkgs: string
  /** The container template: nix/ of this install. */
  templateDir: string
  /** PATH for the host tools (nixos-container, systemctl, nix). */
  toolPath: string
  /** systemd on the system bus (SystemdBus): the crash watcher follows container@<name>.service there. */
  units: UnitSource & { dispose(): void }
  /** Tests put recorded stand-ins here; default the tools on toolPath. */
  commands?: { nixosContainer: string; systemctl: string }
  /** Tests: where the conf files and unit drop-ins go. */
  confDir?: string
  unitDir?: string
}

interface Tracked {
  container: string
  state: ContainerState
  /** Set while the daemon stops it: the unit going down is then no crash. */
  stopping: boolean
  limits: AgentConfig['limits']
}

/**
 * NixOS hosts: one `nixos-container` per agent, built from a flake the daemon generates in its
 * applied repo (agent-flake.ts → nix/agent.nix, which reads agent.json itself). It shares the
 * nspawn runtime's code paths: the same host preparation (state chowned to the agent's uid
 * range, the socket dir its group's), the same binds and in-container paths, the same gateway
 * environment and the same relayed terminals. What is its own: the container is a NixOS system
 * run by `container@<name>.service`; limits are a drop-in on that unit; the crash watcher
 * (crash-watcher.ts, D-Bus) follows that unit, and its going down without the daemon asking is a crash.
 */
export class NixosContainerRuntime implements ContainerRuntime {
  readonly kind = 'nixos-container' as const
  readonly isolated = true
  readonly events = new EventEmitter<ContainerRuntimeEvents>()
  private readonly agents = new Map<string, Tracked>()
  private readonly tools: { nixosContainer: string; systemctl: string }
  private readonly confDir: string
  private readonly unitDir: string
  /** A checkout is bound at /project; the Nix package is already in every container's store. */
  private readonly project: string | null
  private readonly watcher: CrashWatcher

  constructor(private readonly opts: NixosContainerRuntimeOptions) {
    this.tools = opts.commands ?? { nixosContainer: 'nixos-container', systemctl: 'systemctl' }
    this.confDir = opts.confDir ?? HostFiles.CONF_DIR
    this.unitDir = opts.unitDir ?? HostFiles.UNIT_DIR
    this.project = opts.projectRoot.startsWith(NIX_STORE) ? null : opts.projectRoot.replace(/\/+$/, '')
    this.watcher = new CrashWatcher(opts.units, opts.log)
    this.watcher.events.on('down', (down) => this.onDown(down))
  }

  /** NixOS (/etc/NIXOS, or nixos-container on `pathVar`) and root. */
  static available(pathVar: string): boolean {
    if (process.getuid?.() !== 0) return false
    return existsSync('/etc/NIXOS') || pathVar.split(':').some((dir) => dir !== '' && existsSync(join(dir, 'nixos-container')))
  }

  async start(agent: AgentLaunch): Promise<void> {
    const { name } = agent
    if (this.agents.get(name)?.state === 'running') return
    if (agent.uidBase === null) throw new Error(`agent ${name} has no uid range`)
    const { paths, log } = this.opts
    const container = containerName(name)
    const applied = paths.appliedRepo(name)
    const flake = `path:${applied}`
    const confFile = join(this.confDir, `${container}.conf`)
    const existing = existsSync(confFile) ? readContainerConf(readFileSync(confFile, 'utf8')) : null
    // Another hive (or a hand-made container) may hold the name: never adopt it.
    if (existing && existing.flake !== flake) {
      throw new HiveError(
        HiveErrorCode.Conflict,
        `nixos container ${container} (${confFile}) is built from ${existing.flake ?? 'no flake'}, not ${flake}: it is not agent ${name} of this hive; remove it or rename the agent`,
      )
    }
    // Watched before anything starts it: the first look only seeds, so only a later fall is a crash.
    const unit = unitOf(container)
    const now = await this.watcher.watch(unit)
    if (existing && !isDown(now)) {
      log.warn({ agent: name, container, state: now }, 'stopping a container left by a previous daemon')
      await this.run([this.tools.nixosContainer, 'stop', container], Timing.UNIT_TIMEOUT_MS)
    }

    NspawnRuntime.prepareHost(paths, agent, agent.uidBase)
    const digest = writeAgentFlake(applied, this.flakeSpec(agent, agent.uidBase, container), this.opts.templateDir)
    // The lock is computed at each build: the inputs are local paths, and the repo's lock is the manager's.
    const build = ['--flake', `${flake}#${container}`, '--no-write-lock-file']
    if (!existing) {
      await this.run([this.tools.nixosContainer, 'create', container, ...build], Timing.BUILD_TIMEOUT_MS)
      log.info({ agent: name, container }, 'nixos container created')
    } else if (existing.digest !== digest) {
      await this.run([this.tools.nixosContainer, 'update', container, ...build], Timing.BUILD_TIMEOUT_MS)
      log.info({ agent: name, container }, 'nixos container updated (its flake changed)')
    }
    const limits = this.limitsOf(name)
    writeFileSync(confFile, renderContainerConf({ flake, digest, uidBase: agent.uidBase, nspawnFlags: nspawnFlags(this.opts.paths, this.project, agent, agent.uidBase, limits) }), { mode: 0o644 })
    const dropIns = join(this.unitDir, `${unit}.d`)
    mkdirSync(dropIns, { recursive: true, mode: 0o755 })
    writeFileSync(join(dropIns, HostFiles.DROP_IN), renderLimitsDropIn(limits), { mode: 0o644 })
    await this.run([this.tools.systemctl, 'daemon-reload'], Timing.QUERY_TIMEOUT_MS)

    await this.run([this.tools.nixosContainer, 'start', container], Timing.UNIT_TIMEOUT_MS)
    // Read again rather than trust the signals heard so far (they may lag the start): from this
    // read on, the agent is tracked with no await in between, so no fall goes unreported.
    const after = await this.watcher.watch(unit)
    const tracked: Tracked = { container, state: 'running', stopping: false, limits }
    this.agents.set(name, tracked)
    this.events.emit('started', name)
    log.info({ agent: name, container, uidBase: agent.uidBase, limits }, 'agent container started (nixos-container)')
    if (isDown(after)) this.crashed(name, tracked, { unit, state: after, result: null, exitKind: null, exitStatus: null })
  }

  async stop(name: string): Promise<void> {
    const tracked = this.agents.get(name)
    if (!tracked || tracked.state !== 'running') {
      if (tracked) tracked.state = 'stopped'
      return
    }
    tracked.stopping = true
    try {
      await this.run([this.tools.nixosContainer, 'stop', tracked.container], Timing.UNIT_TIMEOUT_MS)
    } finally {
      tracked.stopping = false
    }
    tracked.state = 'stopped'
    this.opts.log.info({ agent: name, container: tracked.container }, 'agent container exited')
    this.events.emit('exit', { name, code: null, signal: null, expected: true })
  }

  status(name: string): ContainerState {
    return this.agents.get(name)?.state ?? 'stopped'
  }

  /** As under nspawn: the payload spawns the terminal and relays it (its /bin/bash comes from nix/agent.nix). */
  terminal(name: string, kind: TerminalKind): TerminalSpec {
    if (this.status(name) !== 'running') throw new HiveError(HiveErrorCode.PreconditionFailed, `agent ${name} is not running: start it to open a terminal`)
    return {
      argv: kind === 'shell' ? ['/bin/bash', '--login'] : [this.inside(this.opts.claudeBin), '--continue'],
      cwd: Inside.STATE,
      env: {},
      spawn: this.opts.terminals.spawner(name, kind),
    }
  }

  /** Purge: the container's tree, its nixos-container config and its unit drop-in go. */
  async remove(name: string): Promise<void> {
    await this.stop(name)
    this.agents.delete(name)
    const container = containerName(name)
    this.watcher.forget(unitOf(container))
    const confFile = join(this.confDir, `${container}.conf`)
    if (existsSync(confFile) && readContainerConf(readFileSync(confFile, 'utf8')).flake === `path:${this.opts.paths.appliedRepo(name)}`) {
      await this.run([this.tools.nixosContainer, 'destroy', container], Timing.UNIT_TIMEOUT_MS)
    }
    rmSync(join(this.unitDir, `${unitOf(container)}.d`), { recursive: true, force: true })
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.agents.keys()].map((name) => this.stop(name)))
    this.watcher.dispose()
    this.opts.units.dispose()
  }

  /** The argv, environment and paths of the agent's flake: the nspawn runtime's, as a NixOS service sees them. */
  private flakeSpec(agent: AgentLaunch, base: number, container: string): AgentFlakeSpec {
    return {
      name: agent.name,
      role: agent.role,
      containerName: container,
      uidBase: base,
      home: this.opts.paths.home,
      project: this.project,
      // node from the Nix store (visible inside); hive-agent from the store or the bound checkout.
      launch: { command: [process.execPath, this.inside(this.opts.agentBin), 'serve'], environment: this.environment(agent) },
      nixpkgs: this.opts.nixpkgs,
      system: nixSystem(),
    }
  }

  /** What nspawn passes with --setenv, for a systemd service (whose PATH the NixOS module sets). */
  private environment(agent: AgentLaunch): Record<string, string> {
    const { name } = agent
    const passthrough = Object.fromEntries(Object.entries(this.opts.baseEnv).filter(([k]) => k !== 'PATH'))
    const git = Object.fromEntries(['AUTHOR', 'COMMITTER'].flatMap((who) => [[`GIT_${who}_NAME`, name], [`GIT_${who}_EMAIL`, `${name}@hive`]]))
    return {
      ...passthrough,
      HOME: '/root',
      LANG: 'C.UTF-8',
      CLAUDE_CONFIG_DIR: Inside.CLAUDE,
      HIVE_SOCKET: `${Inside.SOCKET_DIR}/mcp.sock`,
      ...Object.fromEntries(gatewayEnv()),
      HIVE_STATE_DIR: Inside.STATE,
      HIVE_RUN_DIR: Inside.RUN_DIR,
      HIVE_CLAUDE_BIN: this.inside(this.opts.claudeBin),
      ...git,
      NODE_EXTRA_CA_CERTS: CA_BUNDLE,
      ...(agent.role === 'manager' ? { HIVE_AGENTS_DIR: Inside.AGENTS } : {}),
    }
  }

  /** A host path as the container sees it: store paths as they are, the checkout under /project. */
  private inside(hostPath: string): string {
    return this.project === null ? hostPath : join(Inside.PROJECT, relative(this.project, hostPath))
  }

  /** The applied agent.json's limits; a broken file must not keep the agent from starting. */
  private limitsOf(name: string): AgentConfig['limits'] {
    try {
      return readAppliedConfig(this.opts.paths, name).limits
    } catch (err) {
      this.opts.log.warn({ err, agent: name }, 'applied agent.json unreadable: the container gets the default limits')
      return { memoryMB: ContainerLimits.MEMORY_MB, pids: ContainerLimits.PIDS, cpuWeight: ContainerLimits.CPU_WEIGHT }
    }
  }

  /** A unit the daemon did not stop went down: the agent crashed. */
  private onDown(down: UnitDown): void {
    for (const [name, tracked] of this.agents) {
      if (unitOf(tracked.container) !== down.unit) continue
      // Its own stop, or a leftover being stopped before the agent's start.
      if (tracked.state !== 'running' || tracked.stopping) return
      this.crashed(name, tracked, down)
    }
  }

  private crashed(name: string, tracked: Tracked, down: UnitDown): void {
    tracked.state = 'failed'
    const killed = down.exitKind === 'killed' || down.exitKind === 'dumped'
    const reason = resultReason(down.result, tracked.limits) ?? `${down.unit} is ${down.state.active}${down.result ? ` (${down.result})` : ''}`
    const exit: ContainerExit = {
      name,
      code: down.exitKind === 'exited' ? down.exitStatus : null,
      signal: killed && down.exitStatus !== null ? signalName(down.exitStatus) : null,
      expected: false,
      reason,
      ...(down.result === null ? {} : { result: down.result }),
    }
    this.opts.log.info({ agent: name, unit: down.unit, state: down.state, result: down.result }, 'agent container went down by itself')
    this.events.emit('exit', exit)
  }

  private run(argv: string[], timeoutMs: number): Promise<string> {
    return runHostCommand(argv, { env: childEnv({ PATH: this.opts.toolPath, HOME: this.opts.paths.home, LANG: 'C.UTF-8' }), timeoutMs })
  }
}

/**
 * EXTRA_NSPAWN_FLAGS of an agent's container, in the order nix/agent.nix derives them
 * (nix-template.test.ts compares): its uid range, the nspawn runtime's binds, bounded scratch.
 * `project` is a checkout bound read-only at /project, null when the hive runs from the Nix store.
 */
export function nspawnFlags(paths: HivePaths, project: string | null, agent: AgentLaunch, base: number, limits: AgentConfig['limits']): string[] {
  const { name } = agent
  const scratch = scratchMB(limits)
  return [
    `--private-users=${base}:${UidRange.SIZE}`,
    // The container's own tree (/var/lib/nixos-containers/<container>) becomes the range's.
    '--private-users-ownership=chown',
    '--no-new-privileges=yes',
    ...(project === null ? [] : [`--bind-ro=${project}:${Inside.PROJECT}`]),
    `--bind=${paths.agentStateDir(name)}:${Inside.STATE}`,
    `--bind=${paths.agentClaudeDir(name)}:${Inside.CLAUDE}`,
    `--bind=${paths.agentRunDir(name)}:${Inside.SOCKET_DIR}`,
    ...(agent.role === 'manager' ? [`--bind=${dirname(paths.agentDir(name))}:${Inside.AGENTS}`] : []),
    `--tmpfs=/tmp:mode=1777,size=${scratch}M`,
    `--tmpfs=/var/tmp:mode=1777,size=${scratch}M`,
  ]
}

const unitOf = (container: string) => `container@${container}.service`
