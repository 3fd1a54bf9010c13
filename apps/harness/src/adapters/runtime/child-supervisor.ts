import { spawn, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import type { Logger } from 'pino'
import type { HivePaths } from '../hive-paths.ts'
import type { ContainerRuntimeEvents, ContainerState } from './container-runtime.ts'

interface Running {
  child: ChildProcess
  stopping: boolean
  exited: Promise<void>
}

export interface SuperviseInput {
  name: string
  argv: readonly string[]
  cwd: string
  env: NodeJS.ProcessEnv
}

/**
 * The part every runtime shares: one supervised child per agent (its own process group, output
 * appended to `logs/<name>.log`), running/stopped/failed state, and an `exit` event that says
 * whether the daemon asked for it (a crash otherwise).
 */
export class ChildSupervisor {
  readonly events = new EventEmitter<ContainerRuntimeEvents>()
  private readonly running = new Map<string, Running>()
  private readonly failed = new Set<string>()

  constructor(
    private readonly paths: HivePaths,
    private readonly log: Logger,
  ) {}

  isRunning(name: string): boolean {
    return this.running.has(name)
  }

  pid(name: string): number | undefined {
    return this.running.get(name)?.child.pid
  }

  start(input: SuperviseInput): ChildProcess {
    const { name } = input
    mkdirSync(this.paths.logsDir, { recursive: true })
    const logFd = openSync(this.paths.agentLog(name), 'a')
    const [command, ...args] = input.argv
    if (!command) throw new Error('empty argv')
    const child = spawn(command, args, {
      cwd: input.cwd,
      detached: true, // own process group (and session): a terminal's ^C never reaches it
      stdio: ['ignore', logFd, logFd],
      env: input.env,
    })
    closeSync(logFd)
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        const expected = this.running.get(name)?.stopping ?? false
        this.running.delete(name)
        if (!expected) this.failed.add(name)
        this.log.info({ agent: name, code, signal, expected }, 'agent container exited')
        this.events.emit('exit', { name, code, signal, expected })
        resolve()
      })
    })
    child.once('error', (err) => this.log.error({ err, agent: name }, 'agent container failed to start'))
    this.running.set(name, { child, stopping: false, exited })
    this.failed.delete(name)
    this.events.emit('started', name)
    return child
  }

  /**
   * Asks the child to stop with `first`, then (if it is still there after `graceMs`) with `then`;
   * resolves once it has exited.
   */
  async stop(name: string, signals: { first: (pid: number) => void; then: (pid: number) => void; graceMs: number }): Promise<number | undefined> {
    const entry = this.running.get(name)
    if (!entry) {
      this.failed.delete(name)
      return undefined
    }
    entry.stopping = true
    const pid = entry.child.pid
    if (pid !== undefined) signals.first(pid)
    const timer = setTimeout(() => pid !== undefined && signals.then(pid), signals.graceMs)
    await entry.exited
    clearTimeout(timer)
    return pid
  }

  status(name: string): ContainerState {
    if (this.running.has(name)) return 'running'
    return this.failed.has(name) ? 'failed' : 'stopped'
  }

  names(): string[] {
    return [...this.running.keys()]
  }
}

/** Signals a process group; a group that is already gone is what we wanted. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e
  }
}

export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e
  }
}
