import { spawn, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { mkdirSync } from 'node:fs'
import type { Logger } from 'pino'
import type { HivePaths } from '../hive-paths.ts'
import type { ContainerRuntimeEvents, ContainerState } from './container-runtime.ts'
import { RotatingLog } from './rotating-log.ts'

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
  /** Why it died when the daemon did not stop it (e.g. its cgroup's OOM counter); must not throw. */
  exitReason?: () => string | undefined
  /** Cleanup after the exit was announced (e.g. removing its cgroup); `stop` waits for it. */
  afterExit?: () => Promise<void>
}

interface StopSignals {
  first: (pid: number) => void
  then: (pid: number) => void
  graceMs: number
}

/**
 * The part every runtime shares: one supervised child per agent (its own process group, output
 * appended to `logs/<name>.log`, rotated past 10 MiB), running/stopped/failed state, and an `exit`
 * event that says whether the daemon asked for it (a crash otherwise, with a reason if known).
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
    const [command, ...args] = input.argv
    if (!command) throw new Error('empty argv')
    mkdirSync(this.paths.logsDir, { recursive: true })
    // Through the daemon, not a file descriptor of the child's own: only then can it be rotated.
    const output = new RotatingLog(this.paths.agentLog(name), this.log)
    const child = spawn(command, args, {
      cwd: input.cwd,
      detached: true, // own process group (and session): a terminal's ^C never reaches it
      stdio: ['ignore', 'pipe', 'pipe'],
      env: input.env,
    })
    void Promise.all([output.follow(child.stdout), output.follow(child.stderr)]).then(() => output.close())
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        const expected = this.running.get(name)?.stopping ?? false
        this.running.delete(name)
        if (!expected) this.failed.add(name)
        const reason = expected ? undefined : input.exitReason?.()
        this.log.info({ agent: name, code, signal, expected, reason }, 'agent container exited')
        this.events.emit('exit', { name, code, signal, expected, ...(reason === undefined ? {} : { reason }) })
        void (input.afterExit?.() ?? Promise.resolve())
          .catch((err: unknown) => this.log.warn({ err, agent: name }, 'cleanup after an agent container failed'))
          .finally(resolve)
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
  async stop(name: string, signals: StopSignals): Promise<number | undefined> {
    const entry = this.running.get(name)
    if (!entry) {
      this.failed.delete(name)
      return undefined
    }
    entry.stopping = true
    return this.signal(entry, signals)
  }

  /** Stops a child the daemon did not mean to stop (it broke a limit): its exit is reported as a crash. */
  async kill(name: string, signals: StopSignals): Promise<void> {
    const entry = this.running.get(name)
    if (entry) await this.signal(entry, signals)
  }

  private async signal(entry: Running, signals: StopSignals): Promise<number | undefined> {
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
