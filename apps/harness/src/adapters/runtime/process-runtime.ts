import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Logger } from 'pino'
import { childEnv } from '../child-env.ts'
import type { HivePaths } from '../hive-paths.ts'
import type { TerminalKind } from '@hive/mcp/terminal-frames'
import type { TerminalSpec } from '../pty/pty-registry.ts'
import { ChildSupervisor, signalGroup } from './child-supervisor.ts'
import { canGuardGroups, guardGroup } from './group-guard.ts'
import type { AgentLaunch, ContainerRuntime, ContainerState } from './container-runtime.ts'

const Shutdown = {
  /** ms between SIGTERM to an agent's process group and SIGKILL: a turn gets time to flush. */
  GRACE_MS: 5_000,
} as const

export interface ProcessRuntimeOptions {
  paths: HivePaths
  log: Logger
  /** argv that runs `hive-agent serve` (node + bin path). */
  agentCommand: readonly string[]
  /** Environment every agent gets on top of its own paths (model access, log level). */
  baseEnv: Record<string, string>
  /** The claude executable: the agents' turn loops and "attach to claude" terminals run it. */
  claudeBin: string
}

/**
 * Agents as plain child processes, each in its own process group, with the same directory layout
 * as containers. No isolation at all: for development and CI, and labelled UNISOLATED everywhere.
 * Each group dies with the daemon, even a SIGKILLed one (group-guard.ts).
 */
export class ProcessRuntime implements ContainerRuntime {
  readonly kind = 'process' as const
  readonly isolated = false
  private readonly children: ChildSupervisor

  constructor(private readonly opts: ProcessRuntimeOptions) {
    this.children = new ChildSupervisor(opts.paths, opts.log)
    if (!canGuardGroups) opts.log.warn('no setpriv (util-linux): agents outlive a killed daemon until its next start')
  }

  get events() {
    return this.children.events
  }

  start(agent: AgentLaunch): Promise<void> {
    if (this.children.isRunning(agent.name)) return Promise.resolve()
    const { paths, log, agentCommand, baseEnv } = this.opts
    this.killStale(agent.name)
    const runDir = paths.agentRunDir(agent.name)
    const tmpDir = `${runDir}/tmp`
    mkdirSync(tmpDir, { recursive: true, mode: 0o700 })
    const child = this.children.start({
      name: agent.name,
      argv: guardGroup([...agentCommand, 'serve']),
      cwd: paths.agentStateDir(agent.name),
      env: childEnv({
        PATH: baseEnv.PATH ?? '/usr/bin:/bin',
        ...baseEnv,
        HOME: paths.agentDir(agent.name),
        CLAUDE_CONFIG_DIR: paths.agentClaudeDir(agent.name),
        TMPDIR: tmpDir,
        CLAUDE_CODE_TMPDIR: tmpDir,
        XDG_RUNTIME_DIR: runDir,
        HIVE_SOCKET: paths.agentSocket(agent.name),
        HIVE_STATE_DIR: paths.agentStateDir(agent.name),
        HIVE_RUN_DIR: runDir,
        // The daemon's claude (HIVE_CLAUDE_BIN) is the turn loop's too, as in nspawn containers.
        HIVE_CLAUDE_BIN: this.opts.claudeBin,
        // The manager's commit_config reaches the proposed config repos on the host directly.
        ...(agent.role === 'manager' ? { HIVE_AGENTS_DIR: dirname(paths.agentDir(agent.name)) } : {}),
      }),
    })
    if (child.pid !== undefined) writeFileSync(paths.agentPidFile(agent.name), String(child.pid))
    child.once('exit', () => rmSync(paths.agentPidFile(agent.name), { force: true }))
    log.info({ agent: agent.name, pid: child.pid }, 'agent process started (UNISOLATED)')
    return Promise.resolve()
  }

  async stop(name: string): Promise<void> {
    const pid = await this.children.stop(name, {
      first: (p) => signalGroup(p, 'SIGTERM'),
      then: (p) => signalGroup(p, 'SIGKILL'),
      graceMs: Shutdown.GRACE_MS,
    })
    // Children that ignored SIGTERM (a stuck MCP server) must not outlive the agent.
    if (pid !== undefined) signalGroup(pid, 'SIGKILL')
  }

  status(name: string): ContainerState {
    return this.children.status(name)
  }

  private shellArgv(name: string): string[] {
    // `env -C` starts the login shell in the agent's state dir, like /state inside a container.
    return ['/usr/bin/env', '-C', this.opts.paths.agentStateDir(name), '/bin/bash', '--login']
  }

  terminal(name: string, kind: TerminalKind): TerminalSpec {
    const { paths, baseEnv, claudeBin } = this.opts
    return {
      argv: kind === 'shell' ? this.shellArgv(name) : [claudeBin, '--continue'],
      cwd: paths.agentStateDir(name),
      env: childEnv({
        PATH: baseEnv.PATH ?? '/usr/bin:/bin',
        ...baseEnv,
        TERM: 'xterm-256color',
        LANG: 'C.UTF-8',
        HOME: paths.agentDir(name),
        CLAUDE_CONFIG_DIR: paths.agentClaudeDir(name),
      }),
      banner: `\x1b[1;31m⚠ UNISOLATED: process runtime — this ${kind === 'shell' ? 'shell' : 'claude session'} runs directly on the host as uid ${process.getuid?.() ?? '?'}\x1b[0m\r\n`,
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(this.children.names().map((name) => this.stop(name)))
  }

  /**
   * A group can outlive a killed daemon (no setpriv here, or it died while spawning one). Kill the
   * recorded group before starting a new one, but only if it still is a hive-agent.
   */
  private killStale(name: string): void {
    const pidFile = this.opts.paths.agentPidFile(name)
    let pid: number
    try {
      pid = Number(readFileSync(pidFile, 'utf8').trim())
    } catch {
      return // no pid file: nothing was left behind
    }
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (cmdline.includes('hive-agent')) {
        signalGroup(pid, 'SIGKILL')
        this.opts.log.warn({ agent: name, pid }, 'killed a stale agent process group from a previous daemon')
      }
    } catch {
      // /proc entry gone: the process already exited.
    }
    rmSync(pidFile, { force: true })
  }
}
