import { spawn, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { childEnv } from '../child-env.ts'
import type { HivePaths } from '../hive-paths.ts'
import type { TerminalKind, TerminalSpec } from '../pty/pty-registry.ts'
import type {
  AgentLaunch,
  ContainerRuntime,
  ContainerRuntimeEvents,
  ContainerState,
} from './container-runtime.ts'

const Shutdown = {
  /** ms between SIGTERM to an agent's process group and SIGKILL: a turn gets time to flush. */
  GRACE_MS: 5_000,
} as const

interface Running {
  child: ChildProcess
  stopping: boolean
  exited: Promise<void>
}

export interface ProcessRuntimeOptions {
  paths: HivePaths
  log: Logger
  /** argv that runs `hive-agent serve` (node + bin path). */
  agentCommand: readonly string[]
  /** Environment every agent gets on top of its own paths (model access, log level). */
  baseEnv: Record<string, string>
  /** The claude executable, for "attach to claude" terminals. */
  claudeBin: string
}

/**
 * Agents as plain child processes, each in its own process group, with the same directory layout
 * as containers. No isolation at all: for development and CI, and labelled UNISOLATED everywhere.
 */
export class ProcessRuntime implements ContainerRuntime {
  readonly kind = 'process' as const
  readonly isolated = false
  readonly events = new EventEmitter<ContainerRuntimeEvents>()
  private readonly running = new Map<string, Running>()
  private readonly failed = new Set<string>()

  constructor(private readonly opts: ProcessRuntimeOptions) {}

  start(agent: AgentLaunch): Promise<void> {
    if (this.running.has(agent.name)) return Promise.resolve()
    const { paths, log, agentCommand, baseEnv } = this.opts
    this.killStale(agent.name)
    const runDir = paths.agentRunDir(agent.name)
    const tmpDir = `${runDir}/tmp`
    mkdirSync(tmpDir, { recursive: true, mode: 0o700 })
    mkdirSync(paths.logsDir, { recursive: true })
    const logFd = openSync(paths.agentLog(agent.name), 'a')
    const [command, ...args] = agentCommand
    if (!command) throw new Error('agentCommand is empty')
    const child = spawn(command, [...args, 'serve'], {
      cwd: paths.agentStateDir(agent.name),
      detached: true, // own process group: stop() signals the whole tree (claude, its MCP server)
      stdio: ['ignore', logFd, logFd],
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
      }),
    })
    closeSync(logFd)
    if (child.pid !== undefined) writeFileSync(paths.agentPidFile(agent.name), String(child.pid))
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        const entry = this.running.get(agent.name)
        const expected = entry?.stopping ?? false
        this.running.delete(agent.name)
        rmSync(paths.agentPidFile(agent.name), { force: true })
        if (!expected) this.failed.add(agent.name)
        log.info({ agent: agent.name, code, signal, expected }, 'agent process exited')
        this.events.emit('exit', { name: agent.name, code, signal, expected })
        resolve()
      })
    })
    child.once('error', (err) => log.error({ err, agent: agent.name }, 'agent process failed to start'))
    this.running.set(agent.name, { child, stopping: false, exited })
    this.failed.delete(agent.name)
    log.info({ agent: agent.name, pid: child.pid }, 'agent process started (UNISOLATED)')
    this.events.emit('started', agent.name)
    return Promise.resolve()
  }

  async stop(name: string): Promise<void> {
    const entry = this.running.get(name)
    if (!entry) {
      this.failed.delete(name)
      return
    }
    entry.stopping = true
    const pid = entry.child.pid
    if (pid !== undefined) signalGroup(pid, 'SIGTERM')
    const timer = setTimeout(() => pid !== undefined && signalGroup(pid, 'SIGKILL'), Shutdown.GRACE_MS)
    await entry.exited
    clearTimeout(timer)
    // Children that ignored SIGTERM (a stuck MCP server) must not outlive the agent.
    if (pid !== undefined) signalGroup(pid, 'SIGKILL')
  }

  status(name: string): ContainerState {
    if (this.running.has(name)) return 'running'
    return this.failed.has(name) ? 'failed' : 'stopped'
  }

  shellArgv(name: string): string[] {
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
    await Promise.all([...this.running.keys()].map((name) => this.stop(name)))
  }

  /**
   * A daemon killed with SIGKILL leaves its agents running (they are in their own groups). Kill
   * the recorded group before starting a new one, but only if it still is a hive-agent.
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

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch (e) {
    // ESRCH: the group is already gone, which is what we wanted.
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e
  }
}
