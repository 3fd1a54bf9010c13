import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { HiveError, HiveErrorCode } from '@hive/mcp'
import { childEnv } from '../child-env.ts'
import type { HivePaths } from '../hive-paths.ts'
import type { TerminalKind } from '@hive/mcp/terminal-frames'
import type { TerminalSpec } from '../pty/pty-registry.ts'
import { ChildSupervisor, signalProcess } from './child-supervisor.ts'
import type { AgentLaunch, ContainerRuntime, ContainerState } from './container-runtime.ts'
import { UidRange } from './uid-range.ts'

const Shutdown = {
  /** After SIGTERM (→ SIGTERM + SIGHUP to hive-agent inside), a second SIGTERM forces the stop. */
  GRACE_MS: 5_000,
  /** How long a leftover container from a killed daemon gets to go. */
  ORPHAN_WAIT_MS: 5_000,
} as const

/** Paths inside every container. */
const Inside = {
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

/** The capability bounding set of nspawn's payload, for shells entered with nsenter (§5). */
const PAYLOAD_CAPS =
  '-all,+chown,+dac_override,+dac_read_search,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+linux_immutable,+net_broadcast,+net_raw,+ipc_owner,+sys_chroot,+sys_ptrace,+sys_admin,+sys_boot,+sys_nice,+sys_resource,+sys_tty_config,+mknod,+lease,+audit_write,+audit_control,+setfcap'

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
}

/**
 * One `systemd-nspawn` container per agent, after reference/nspawn-userns.md: the host's /usr
 * read-only on a tmpfs root, a fixed user-namespace range per agent (container root is host uid
 * `base`, never host root), state chowned to that uid, the agent socket reachable only by it.
 * Without systemd as PID 1 it is a supervised child (`--register=no --keep-unit`), wrapped in
 * `setpriv --pdeathsig` so a killed daemon takes its containers along.
 */
export class NspawnRuntime implements ContainerRuntime {
  readonly kind = 'nspawn' as const
  readonly isolated = true
  private readonly children: ChildSupervisor
  private readonly node: { inside: string; bind?: string }

  constructor(private readonly opts: NspawnRuntimeOptions) {
    // Host root's files are "nobody" inside: the install must be readable by others.
    for (const path of [opts.projectRoot, opts.agentBin, opts.claudeBin]) {
      const st = statSync(path)
      const need = st.isDirectory() ? 0o005 : 0o004
      if ((st.mode & need) !== need) throw new Error(`${path} must be readable by others for containers to use it (chmod o+${st.isDirectory() ? 'rx' : 'r'})`)
    }
    this.children = new ChildSupervisor(opts.paths, opts.log)
    this.writeEtc()
    // /usr is in every container; a node installed elsewhere is bound in with its prefix.
    this.node = process.execPath.startsWith('/usr/')
      ? { inside: process.execPath }
      : { inside: `${Inside.NODE_PREFIX}/bin/node`, bind: dirname(dirname(process.execPath)) }
  }

  get events() {
    return this.children.events
  }

  /** The daemon can run containers here: root, and systemd-nspawn installed. */
  static available(): boolean {
    return process.getuid?.() === 0 && ['/usr/bin/systemd-nspawn', '/bin/systemd-nspawn'].some((p) => existsSync(p))
  }

  async start(agent: AgentLaunch): Promise<void> {
    if (this.children.isRunning(agent.name)) return
    if (agent.uidBase === null) throw new Error(`agent ${agent.name} has no uid range`)
    await this.stopOrphan(agent.name)
    this.prepareHost(agent, agent.uidBase)
    const { log, baseEnv } = this.opts
    const child = this.children.start({
      name: agent.name,
      argv: this.nspawnArgv(agent, agent.uidBase),
      cwd: '/',
      // nspawn passes only what `--setenv` names into the container.
      env: childEnv({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...baseEnv }),
    })
    log.info({ agent: agent.name, pid: child.pid, uidBase: agent.uidBase }, 'agent container started (nspawn)')
  }

  async stop(name: string): Promise<void> {
    await this.children.stop(name, {
      first: (pid) => signalProcess(pid, 'SIGTERM'),
      then: (pid) => signalProcess(pid, 'SIGTERM'),
      graceMs: Shutdown.GRACE_MS,
    })
  }

  status(name: string): ContainerState {
    return this.children.status(name)
  }

  shellArgv(name: string): string[] {
    return this.enter(name, ['/bin/bash', '--login'])
  }

  terminal(name: string, kind: TerminalKind): TerminalSpec {
    const { paths, baseEnv } = this.opts
    return {
      argv: kind === 'shell' ? this.shellArgv(name) : this.enter(name, [this.inProject(this.opts.claudeBin), '--continue']),
      cwd: paths.agentStateDir(name),
      // nsenter keeps the environment: this is what the shell inside sees.
      env: childEnv({
        ...(kind === 'claude' ? baseEnv : {}),
        PATH: Inside.PATH,
        HOME: '/root',
        CLAUDE_CONFIG_DIR: Inside.CLAUDE,
        TERM: 'xterm-256color',
        LANG: 'C.UTF-8',
      }),
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(this.children.names().map((name) => this.stop(name)))
  }

  /** A shell command run as the container's root, in all its namespaces, with its capabilities. */
  private enter(name: string, command: string[]): string[] {
    const init = this.stubInit(name)
    // `env -C`, not nsenter's --wd: that one resolves the path on the host side.
    return ['nsenter', `--target=${init}`, '--all', 'setpriv', `--bounding-set=${PAYLOAD_CAPS}`, '--', '/usr/bin/env', '-C', Inside.STATE, ...command]
  }

  /** The container's PID 1 (nspawn's stub init): the process nsenter joins. */
  private stubInit(name: string): number {
    const pid = this.children.pid(name)
    if (pid === undefined) throw new HiveError(HiveErrorCode.PreconditionFailed, `agent ${name} is not running: start it to open a terminal`)
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
    const init = children.find((c) => {
      try {
        return readFileSync(`/proc/${c}/comm`, 'utf8').trim() === '(sd-stubinit)'
      } catch {
        return false
      }
    })
    if (init === undefined) throw new HiveError(HiveErrorCode.PreconditionFailed, `agent ${name}'s container is not up yet; try again`)
    return init
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
  private prepareHost(agent: AgentLaunch, base: number): void {
    const { paths } = this.opts
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
    if (existsSync(paths.agentSocket(name))) {
      chownSync(paths.agentSocket(name), 0, base)
      chmodSync(paths.agentSocket(name), 0o660)
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

  private nspawnArgv(agent: AgentLaunch, base: number): string[] {
    const { paths, baseEnv } = this.opts
    const { name } = agent
    const etc = join(paths.home, 'etc')
    // CA bundle; Debian's /usr/bin/awk, editor… are symlinks through /etc/alternatives.
    const hostEtc = ['/etc/ssl/certs', '/etc/alternatives'].filter((d) => existsSync(d)).map((d) => `--bind-ro=${d}`)
    const passthrough = Object.keys(baseEnv)
      .filter((k) => k !== 'PATH')
      .map((k) => `--setenv=${k}`)
    return [
      'setpriv',
      '--pdeathsig',
      'SIGTERM',
      '--',
      'systemd-nspawn',
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
      ...(agent.role === 'manager' ? [`--bind=${dirname(paths.agentDir(name))}:${Inside.AGENTS}`] : []),
      '--tmpfs=/var/tmp:mode=1777',
      `--chdir=${Inside.STATE}`,
      `--setenv=PATH=${this.node.bind ? `${Inside.NODE_PREFIX}/bin:` : ''}${Inside.PATH}`,
      '--setenv=HOME=/root',
      '--setenv=LANG=C.UTF-8',
      `--setenv=CLAUDE_CONFIG_DIR=${Inside.CLAUDE}`,
      `--setenv=HIVE_SOCKET=${Inside.SOCKET_DIR}/mcp.sock`,
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
      if (comm !== 'systemd-nspawn' || !cmdline.includes(marker)) continue
      this.opts.log.warn({ agent: name, pid }, 'stopping a container left by a previous daemon')
      signalProcess(pid, 'SIGTERM')
      for (let waited = 0; waited < Shutdown.ORPHAN_WAIT_MS && existsSync(`/proc/${pid}`); waited += 100) await sleep(100)
      if (existsSync(`/proc/${pid}`)) signalProcess(pid, 'SIGTERM')
    }
  }
}

const machineName = (agent: string) => `hive-${agent}`
