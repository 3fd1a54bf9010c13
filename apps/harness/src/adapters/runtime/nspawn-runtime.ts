import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { HiveError, HiveErrorCode } from '@hive/mcp'
import { ContainerLimits, type AgentConfig } from '../../domain/agent-config.ts'
import { ContainerNet } from '../../domain/container-net.ts'
import { readAppliedConfig } from '../agent-dirs.ts'
import { childEnv } from '../child-env.ts'
import { operatorCredentials } from '../env.ts'
import type { HivePaths } from '../hive-paths.ts'
import type { TerminalKind } from '@hive/mcp/terminal-frames'
import type { TerminalSpec } from '../pty/pty-registry.ts'
import type { PtyRelay } from '../pty/pty-relay.ts'
import { CgroupLimits, cgroupScope, type AgentCgroup } from './cgroup-limits.ts'
import { ChildSupervisor, signalProcess } from './child-supervisor.ts'
import type { AgentLaunch, ContainerRuntime, ContainerState } from './container-runtime.ts'
import type { SystemdBus } from './systemd-bus.ts'
import { UnitSupervisor } from './systemd-units.ts'
import { UidRange } from './uid-range.ts'

const Shutdown = {
  /** After SIGTERM (→ SIGTERM + SIGHUP to hive-agent inside), a second SIGTERM forces the stop. */
  GRACE_MS: 5_000,
  /** How long a leftover container from a killed daemon gets to go. */
  ORPHAN_WAIT_MS: 5_000,
} as const

const Containment = {
  /**
   * ms between looks at a running container's OOM counter. The kernel kills one process over the
   * memory limit; the daemon then stops the whole container, as systemd's OOMPolicy=stop would.
   */
  OOM_POLL_MS: 1_000,
  /** /tmp and /var/tmp may each hold this fraction (1/n) of the memory limit… */
  TMPFS_MEMORY_DIVISOR: 4,
  /** …and at least this many MB. */
  TMPFS_MIN_MB: 32,
} as const

/** Paths inside every container (the nixos-container runtime binds the same ones). */
export const Inside = {
  PROJECT: '/project',
  STATE: '/state',
  CLAUDE: '/root/.claude',
  SOCKET_DIR: '/run/hive',
  /** Writable scratch of the turn loop (prompt file, MCP config): the container's own tmpfs. */
  RUN_DIR: '/run/agent',
  NODE_PREFIX: '/opt/node',
  /** The manager's view of every agent's proposed config repo: /agents/<name>/config. */
  AGENTS: '/agents',
  PATH: '/usr/local/bin:/usr/bin:/bin',
} as const

export interface NspawnRuntimeOptions {
  paths: HivePaths
  log: Logger
  /** The repo (or install) root, bound read-only at /project; must be world-readable. */
  projectRoot: string
  /** `hive-agent` entry on the host, under projectRoot. */
  agentBin: string
  /** The claude executable on the host, under projectRoot. */
  claudeBin: string
  /** Passed into every container by name (`--setenv=NAME`), so secrets stay out of argv. */
  baseEnv: Record<string, string>
  /** Terminals: the payload spawns them and connects back (pty-relay.ts). */
  terminals: Pick<PtyRelay, 'spawner'>
  /** systemd on the system bus: containers then run as transient units (null: supervised children). */
  systemd?: SystemdBus | null
}

/**
 * One `systemd-nspawn` container per agent, after reference/nspawn-userns.md: the host's /usr
 * read-only on a tmpfs root, a fixed user-namespace range per agent (container root is host uid
 * `base`, never host root), state chowned to that uid, the agent socket reachable only by it.
 * Under systemd each container is a transient unit `hive-agent@<name>.service` whose limits are
 * unit properties, and the crash watcher follows it over D-Bus (systemd-units.ts). Without a
 * system bus it is a supervised child (`--register=no --keep-unit`) in a cgroup of the daemon's
 * own, wrapped in `setpriv --pdeathsig` so a killed daemon takes its containers along.
 */
export class NspawnRuntime implements ContainerRuntime {
  readonly kind = 'nspawn' as const
  readonly isolated = true
  private readonly children: ChildSupervisor
  /** Set under systemd: then it, not `children`, runs the containers. */
  private readonly units: UnitSupervisor | null
  private readonly node: { inside: string; bind?: string }
  /** Only without systemd: under it the unit's properties are the limits. */
  private readonly cgroups: CgroupLimits | null
  /** The cgroup of each running container, and the timer watching its OOM counter. */
  private readonly contained = new Map<string, { cgroup: AgentCgroup; oomWatch: NodeJS.Timeout }>()

  constructor(private readonly opts: NspawnRuntimeOptions) {
    // Host root's files are "nobody" inside: the install must be readable by others.
    for (const path of [opts.projectRoot, opts.agentBin, opts.claudeBin]) {
      const st = statSync(path)
      const need = st.isDirectory() ? 0o005 : 0o004
      if ((st.mode & need) !== need) throw new Error(`${path} must be readable by others for containers to use it (chmod o+${st.isDirectory() ? 'rx' : 'r'})`)
    }
    this.children = new ChildSupervisor(opts.paths, opts.log)
    this.units = opts.systemd ? new UnitSupervisor(opts.systemd, opts.paths, opts.log) : null
    this.cgroups = this.units ? null : new CgroupLimits({ log: opts.log, scope: cgroupScope(opts.paths.home) })
    this.writeEtc()
    // /usr is in every container; a node installed elsewhere is bound in with its prefix.
    this.node = process.execPath.startsWith('/usr/')
      ? { inside: process.execPath }
      : { inside: `${Inside.NODE_PREFIX}/bin/node`, bind: dirname(dirname(process.execPath)) }
  }

  get events() {
    return this.units?.events ?? this.children.events
  }

  /** How containers are run: `unit` under systemd, else `child`. */
  get launch(): 'unit' | 'child' {
    return this.units ? 'unit' : 'child'
  }

  /** The daemon can run containers here: root, and systemd-nspawn installed. */
  static available(): boolean {
    return process.getuid?.() === 0 && ['/usr/bin/systemd-nspawn', '/bin/systemd-nspawn'].some((p) => existsSync(p))
  }

  async start(agent: AgentLaunch): Promise<void> {
    if (this.status(agent.name) === 'running') return
    if (agent.uidBase === null) throw new Error(`agent ${agent.name} has no uid range`)
    const { log, baseEnv } = this.opts
    const { name } = agent
    // nspawn passes only what `--setenv` names into the container.
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...baseEnv }
    if (this.units) {
      // A leftover of a previous daemon is a unit too: the supervisor stops it first.
      NspawnRuntime.prepareHost(this.opts.paths, agent, agent.uidBase)
      const limits = this.limitsOf(name)
      await this.units.start({ name, argv: [nspawnBinary(env.PATH), ...this.nspawnArgs(agent, agent.uidBase, limits)], env, limits })
      return
    }
    await this.stopOrphan(agent.name)
    NspawnRuntime.prepareHost(this.opts.paths, agent, agent.uidBase)
    const limits = this.limitsOf(name)
    const cgroup = (await this.cgroups?.create(name, limits)) ?? null
    // PDEATHSIG: a killed daemon takes its containers along (nspawn-userns.md §7).
    const argv = ['setpriv', '--pdeathsig', 'SIGTERM', '--', 'systemd-nspawn', ...this.nspawnArgs(agent, agent.uidBase, limits)]
    const child = this.children.start({
      name,
      argv: cgroup ? cgroup.wrap(argv) : argv,
      cwd: '/',
      env: childEnv(env),
      exitReason: () => cgroup?.exitReason(),
      afterExit: async () => {
        clearInterval(this.contained.get(name)?.oomWatch)
        this.contained.delete(name)
        await cgroup?.remove()
      },
    })
    if (cgroup) this.contained.set(name, { cgroup, oomWatch: this.watchOom(name, cgroup) })
    log.info({ agent: name, pid: child.pid, uidBase: agent.uidBase, limits, cgroup: this.cgroups?.mode }, 'agent container started (nspawn)')
  }

  async stop(name: string): Promise<void> {
    if (this.units) return this.units.stop(name)
    await this.children.stop(name, {
      first: (pid) => signalProcess(pid, 'SIGTERM'),
      then: (pid) => signalProcess(pid, 'SIGTERM'),
      graceMs: Shutdown.GRACE_MS,
    })
  }

  status(name: string): ContainerState {
    return this.units?.status(name) ?? this.children.status(name)
  }

  /**
   * The payload spawns the terminal (agent/terminal-host.ts) and relays it over pty.sock, so it
   * runs under the payload's seccomp filter, no_new_privs, cgroup and capabilities; a shell
   * entered with nsenter could not get the seccomp filter (nspawn-userns.md §5).
   */
  terminal(name: string, kind: TerminalKind): TerminalSpec {
    if (this.status(name) !== 'running') throw new HiveError(HiveErrorCode.PreconditionFailed, `agent ${name} is not running: start it to open a terminal`)
    return {
      // What runs inside; the payload picks it by kind and gives it its own environment.
      argv: kind === 'shell' ? ['/bin/bash', '--login'] : [this.inProject(this.opts.claudeBin), '--continue'],
      cwd: Inside.STATE,
      env: {},
      spawn: this.opts.terminals.spawner(name, kind),
    }
  }

  async dispose(): Promise<void> {
    if (this.units) return this.units.dispose()
    await Promise.all(this.children.names().map((name) => this.stop(name)))
  }

  /** The applied agent.json's limits; a broken file must not keep the agent (or the daemon) from starting. */
  private limitsOf(name: string): AgentConfig['limits'] {
    try {
      return readAppliedConfig(this.opts.paths, name).limits
    } catch (err) {
      this.opts.log.warn({ err, agent: name }, 'applied agent.json unreadable: the container gets the default limits')
      return { memoryMB: ContainerLimits.MEMORY_MB, pids: ContainerLimits.PIDS, cpuWeight: ContainerLimits.CPU_WEIGHT }
    }
  }

  /** After an OOM kill inside, stops the container as a crash; the exit's reason says why. */
  private watchOom(name: string, cgroup: AgentCgroup): NodeJS.Timeout {
    const timer = setInterval(() => {
      if (!cgroup.oomKilled()) return
      clearInterval(timer)
      this.opts.log.warn({ agent: name, memoryMB: cgroup.limits.memoryMB }, 'agent container ran out of memory: stopping it')
      void this.children.kill(name, {
        first: (pid) => signalProcess(pid, 'SIGTERM'),
        then: (pid) => signalProcess(pid, 'SIGTERM'),
        graceMs: Shutdown.GRACE_MS,
      })
    }, Containment.OOM_POLL_MS)
    timer.unref()
    return timer
  }

  private inProject(hostPath: string): string {
    return join(Inside.PROJECT, relative(this.opts.projectRoot, hostPath))
  }

  /**
   * State and credentials belong to the container's root (host uid `base`); the socket dir and
   * socket to host root with group `base`, so the agent can connect but not replace the socket.
   * Every proposed config repo belongs to the manager, which sees them at /agents/<name>/config
   * (the agent dirs above them are traverse-only, their state and credentials stay private).
   */
  static prepareHost(paths: HivePaths, agent: AgentLaunch, base: number): void {
    const { name } = agent
    const agentsRoot = dirname(paths.agentDir(name))
    chmodSync(agentsRoot, 0o755)
    const configOwner = agent.role === 'manager' ? base : agent.configOwnerUid
    const owned = agent.role === 'manager' ? readdirSync(agentsRoot) : [name]
    for (const each of owned) {
      chmodSync(paths.agentDir(each), 0o711)
      if (configOwner !== null && existsSync(paths.agentConfigRepo(each))) {
        execFileSync('chown', ['-R', `${configOwner}:${configOwner}`, paths.agentConfigRepo(each)])
      }
    }
    for (const dir of [paths.agentStateDir(name), paths.agentClaudeDir(name)]) {
      execFileSync('chown', ['-R', `${base}:${base}`, dir])
    }
    const runDir = paths.agentRunDir(name)
    chownSync(runDir, 0, base)
    chmodSync(runDir, 0o750)
    for (const socket of [paths.agentSocket(name), paths.agentGatewaySocket(name), paths.agentPtySocket(name)]) {
      if (!existsSync(socket)) continue
      chownSync(socket, 0, base)
      chmodSync(socket, 0o660)
    }
  }

  /** /etc inside is an empty tmpfs: names for uid 0, localhost, and how to resolve them (shared by all containers). */
  private writeEtc(): void {
    const dir = join(this.opts.paths.home, 'etc')
    mkdirSync(dir, { recursive: true, mode: 0o755 })
    const files: Record<string, string> = {
      passwd: 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
      group: 'root:x:0:\nnogroup:x:65534:\n',
      hosts: '127.0.0.1 localhost\n::1 localhost\n',
      'nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files dns\n',
    }
    for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content, { mode: 0o644 })
  }

  /** systemd-nspawn's arguments (after the command itself). */
  private nspawnArgs(agent: AgentLaunch, base: number, limits: AgentConfig['limits']): string[] {
    const { paths, baseEnv } = this.opts
    const { name } = agent
    const etc = join(paths.home, 'etc')
    // CA bundle; Debian's /usr/bin/awk, editor… are symlinks through /etc/alternatives.
    const hostEtc = ['/etc/ssl/certs', '/etc/alternatives'].filter((d) => existsSync(d)).map((d) => `--bind-ro=${d}`)
    const passthrough = Object.keys(baseEnv)
      .filter((k) => k !== 'PATH')
      .map((k) => `--setenv=${k}`)
    return [
      '--quiet',
      '--register=no',
      '--keep-unit',
      `--machine=${machineName(name)}`,
      '--directory=/',
      '--volatile=yes',
      `--private-users=${base}:${UidRange.SIZE}`,
      '--private-users-ownership=off',
      '--as-pid2',
      '--console=pipe',
      // Only `lo` inside: the way out is the sockets in /run/hive (MCP, model gateway + egress proxy).
      '--private-network',
      '--kill-signal=SIGRTMIN+3',
      '--no-new-privileges=yes',
      '--link-journal=no',
      ...['passwd', 'group', 'hosts', 'nsswitch.conf'].map((f) => `--bind-ro=${join(etc, f)}:/etc/${f}`),
      ...hostEtc,
      `--bind-ro=${this.opts.projectRoot}:${Inside.PROJECT}`,
      ...(this.node.bind ? [`--bind-ro=${this.node.bind}:${Inside.NODE_PREFIX}`] : []),
      `--bind=${paths.agentStateDir(name)}:${Inside.STATE}`,
      `--bind=${paths.agentClaudeDir(name)}:${Inside.CLAUDE}`,
      `--bind=${paths.agentRunDir(name)}:${Inside.SOCKET_DIR}`,
      ...(agent.role === 'manager' ? [`--bind=${dirname(paths.agentDir(name))}:${Inside.AGENTS}`, `--setenv=HIVE_AGENTS_DIR=${Inside.AGENTS}`] : []),
      // Bounded scratch: a full /tmp is ENOSPC, not the host's memory. The --volatile=yes root (and
      // /run, /root) tmpfs are unbounded by flags, but their pages are charged to the memory cgroup.
      `--tmpfs=/tmp:mode=1777,size=${scratchMB(limits)}M`,
      `--tmpfs=/var/tmp:mode=1777,size=${scratchMB(limits)}M`,
      `--chdir=${Inside.STATE}`,
      `--setenv=PATH=${this.node.bind ? `${Inside.NODE_PREFIX}/bin:` : ''}${Inside.PATH}`,
      '--setenv=HOME=/root',
      '--setenv=LANG=C.UTF-8',
      `--setenv=CLAUDE_CONFIG_DIR=${Inside.CLAUDE}`,
      `--setenv=HIVE_SOCKET=${Inside.SOCKET_DIR}/mcp.sock`,
      ...gatewayEnv().map(([k, v]) => `--setenv=${k}=${v}`),
      `--setenv=HIVE_STATE_DIR=${Inside.STATE}`,
      `--setenv=HIVE_RUN_DIR=${Inside.RUN_DIR}`,
      `--setenv=HIVE_CLAUDE_BIN=${this.inProject(this.opts.claudeBin)}`,
      ...['AUTHOR', 'COMMITTER'].flatMap((who) => [`--setenv=GIT_${who}_NAME=${name}`, `--setenv=GIT_${who}_EMAIL=${name}@hive`]),
      ...(existsSync('/etc/ssl/certs/ca-certificates.crt') ? ['--setenv=NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'] : []),
      ...passthrough,
      this.node.inside,
      this.inProject(this.opts.agentBin),
      'serve',
    ]
  }

  /** A container left by a daemon that was killed before it could stop it: stop it first. */
  private async stopOrphan(name: string): Promise<void> {
    const marker = `--machine=${machineName(name)}\0`
    // Another hive on this host may run an agent of the same name: only ours has our state bound.
    const ours = `--bind=${this.opts.paths.agentStateDir(name)}:${Inside.STATE}\0`
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      const pid = Number(entry)
      let cmdline: string
      let comm: string
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
      } catch {
        continue
      }
      // nspawn itself; its stub init has the same command line but another name.
      if (comm !== 'systemd-nspawn' || !cmdline.includes(marker) || !cmdline.includes(ours)) continue
      this.opts.log.warn({ agent: name, pid }, 'stopping a container left by a previous daemon')
      signalProcess(pid, 'SIGTERM')
      for (let waited = 0; waited < Shutdown.ORPHAN_WAIT_MS && existsSync(`/proc/${pid}`); waited += 100) await sleep(100)
      if (existsSync(`/proc/${pid}`)) signalProcess(pid, 'SIGTERM')
    }
  }
}

const machineName = (agent: string) => `hive-${agent}`

/** A unit's command must be absolute: systemd-nspawn found on the containers' PATH. */
function nspawnBinary(path: string): string {
  const found = path
    .split(':')
    .map((dir) => join(dir, 'systemd-nspawn'))
    .find((p) => p.startsWith('/') && existsSync(p))
  if (found === undefined) throw new Error(`systemd-nspawn is not on ${path}`)
  return found
}

/** Size of each scratch tmpfs (/tmp, /var/tmp): a fraction of the memory limit. */
export const scratchMB = (limits: AgentConfig['limits']) => Math.max(Containment.TMPFS_MIN_MB, Math.floor(limits.memoryMB / Containment.TMPFS_MEMORY_DIVISOR))

/** What a container's claude sends as its key when the gateway adds the operator's (not a secret). */
const GATEWAY_KEY_PLACEHOLDER = 'hive-gateway-adds-the-operator-key'

/**
 * The model and the egress proxy, as a container sees them: its own loopback, where hive-agent's
 * forwarder relays to the gateway socket. The operator's key is added by the gateway; the CLI
 * only needs to know some key is in play (a placeholder, no secret), else it asks for a login.
 */
export function gatewayEnv(): [string, string][] {
  const forwarder = `http://127.0.0.1:${ContainerNet.FORWARDER_PORT}`
  const hasOperatorKey = Object.keys(operatorCredentials()).length > 0
  return [
    ['HIVE_GATEWAY_SOCKET', `${Inside.SOCKET_DIR}/${ContainerNet.GATEWAY_SOCKET}`],
    ['HIVE_FORWARDER_PORT', String(ContainerNet.FORWARDER_PORT)],
    ['ANTHROPIC_BASE_URL', forwarder],
    ['HTTPS_PROXY', forwarder],
    ['HTTP_PROXY', forwarder],
    ['NO_PROXY', '127.0.0.1,localhost'],
    ...(hasOperatorKey ? ([['ANTHROPIC_API_KEY', GATEWAY_KEY_PLACEHOLDER]] as [string, string][]) : []),
  ]
}

