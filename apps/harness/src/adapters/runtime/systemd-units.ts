import { EventEmitter } from 'node:events'
import { constants } from 'node:os'
import type { Logger } from 'pino'
import { HiveError, HiveErrorCode } from '@hive/mcp'
import type { AgentConfig } from '../../domain/agent-config.ts'
import type { HivePaths } from '../hive-paths.ts'
import type { ContainerExit, ContainerRuntimeEvents, ContainerState } from './container-runtime.ts'
import { CrashWatcher, isDown, type UnitDown } from './crash-watcher.ts'
import type { SystemdBus, UnitProperty } from './systemd-bus.ts'
import { UnitLogSink } from './unit-log-sink.ts'

/** What the supervisor needs of systemd (the system bus, or a stand-in in tests). */
export type UnitManager = Pick<SystemdBus, 'events' | 'unit' | 'startTransient' | 'stop' | 'resetFailed' | 'dispose'>

type Limits = AgentConfig['limits']

const Units = {
  /** ms systemd gives a stopping container (SIGTERM to nspawn) before it kills the whole cgroup. */
  STOP_TIMEOUT_MS: 5_000,
  /** ms past that the daemon waits to see the unit down before it gives up waiting (and logs). */
  STOP_MARGIN_MS: 5_000,
} as const

const MiB = 1024n * 1024n

/** An agent's unit: one transient instance per agent (no template on disk, or systemd refuses it). */
const agentUnit = (agent: string) => `hive-agent@${agent}.service`
const agentOfUnit = (unit: string) => /^hive-agent@(.+)\.service$/.exec(unit)?.[1]

export interface UnitLaunch {
  name: string
  /** Absolute command and arguments of the service's main process. */
  argv: readonly string[]
  /** Its whole environment (nothing else is inherited). */
  env: Record<string, string>
  limits: Limits
}

/**
 * The transient service of an agent container: its limits as unit properties (systemd owns the
 * cgroup), SIGTERM to nspawn alone on stop (KillMode=mixed, as systemd-nspawn@.service; nspawn
 * turns it into a graceful stop inside) and SIGKILL to everything left after the timeout.
 */
export function unitProperties(launch: UnitLaunch, description: string, outputSocket: string): UnitProperty[] {
  const [command] = launch.argv
  if (command === undefined || !command.startsWith('/')) throw new Error(`a unit needs an absolute command, not ${command ?? 'nothing'}`)
  const { limits } = launch
  return [
    ['Description', 's', description],
    // The start job fails when the command cannot be executed, not later as a crash.
    ['Type', 's', 'exec'],
    ['ExecStart', 'a(sasb)', [[command, [...launch.argv], false]]],
    ['Environment', 'as', Object.entries(launch.env).map(([k, v]) => `${k}=${v}`)],
    ['WorkingDirectory', 's', '/'],
    ['StandardInput', 's', 'null'],
    // A socket path: systemd connects to it (UnitLogSink), the daemon writes the rotated log.
    ['StandardOutputFileToAppend', 's', outputSocket],
    ['StandardErrorFileToAppend', 's', outputSocket],
    // nspawn makes its payload/supervisor cgroups below the unit's (--keep-unit).
    ['Delegate', 'b', true],
    ['MemoryMax', 't', BigInt(limits.memoryMB) * MiB],
    ['MemorySwapMax', 't', 0n],
    ['TasksMax', 't', BigInt(limits.pids)],
    ['CPUWeight', 't', BigInt(limits.cpuWeight)],
    ['OOMPolicy', 's', 'stop'],
    ['KillMode', 's', 'mixed'],
    ['TimeoutStopUSec', 't', BigInt(Units.STOP_TIMEOUT_MS) * 1000n],
  ]
}

/** What systemd's `Result` says beyond the exit code or signal, in the words of a crash note. */
export function resultReason(result: string | null, limits: Limits): string | undefined {
  switch (result) {
    case 'oom-kill':
      return `killed: out of memory (limit ${limits.memoryMB} MB)`
    case 'core-dump':
      return 'dumped core'
    case 'timeout':
      return 'timed out starting or stopping'
    case 'watchdog':
      return 'its watchdog expired'
    case 'start-limit-hit':
      return 'restarted too often'
    case 'resources':
      return 'systemd could not set it up (resources)'
    default:
      return undefined
  }
}

export const signalName = (n: number): string => Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`

interface Running {
  /** The daemon asked it to stop: its going down is not a crash. */
  stopping: boolean
  limits: Limits
}

/**
 * The counterpart of ChildSupervisor when systemd is PID 1: every agent container is a transient
 * unit `hive-agent@<name>.service`, and the crash watcher (D-Bus PropertiesChanged) tells when one
 * goes down. A unit the daemon did not stop going down is a crash, with systemd's `result`. A
 * killed daemon's units end with their agents (which exit when the daemon's connection closes);
 * one still running at the next start is stopped before its agent starts again.
 */
export class UnitSupervisor {
  readonly events = new EventEmitter<ContainerRuntimeEvents>()
  private readonly running = new Map<string, Running>()
  private readonly failed = new Set<string>()
  private readonly watcher: CrashWatcher
  private readonly output: UnitLogSink

  constructor(
    private readonly bus: UnitManager,
    private readonly paths: Pick<HivePaths, 'home' | 'logsDir' | 'agentLog' | 'unitLogSocket'>,
    private readonly log: Logger,
  ) {
    this.watcher = new CrashWatcher(bus, log)
    this.watcher.events.on('down', (down) => this.onDown(down))
    this.output = new UnitLogSink(paths, log)
  }

  isRunning(name: string): boolean {
    return this.running.has(name)
  }

  status(name: string): ContainerState {
    if (this.running.has(name)) return 'running'
    return this.failed.has(name) ? 'failed' : 'stopped'
  }

  names(): string[] {
    return [...this.running.keys()]
  }

  async start(launch: UnitLaunch): Promise<void> {
    const { name } = launch
    const unit = agentUnit(name)
    const description = this.description(name)
    const existing = await this.bus.unit(unit)
    if (existing !== null && existing.Description !== description) {
      throw new HiveError(HiveErrorCode.Conflict, `systemd unit ${unit} belongs to something else ("${existing.Description ?? ''}"): stop it, or use another agent name`)
    }
    // Watched before anything changes it: the leftover's stop and the new start are both seen.
    const state = await this.watcher.watch(unit)
    if (!isDown(state)) {
      this.log.warn({ agent: name, unit, state }, 'stopping a container unit left by a previous daemon')
      await this.stopUnit(unit)
    }
    await this.bus.resetFailed(unit)
    const outputSocket = this.output.open(name)
    this.running.set(name, { stopping: false, limits: launch.limits })
    this.failed.delete(name)
    try {
      await this.bus.startTransient(unit, unitProperties(launch, description, outputSocket))
    } catch (err) {
      this.running.delete(name)
      this.output.close(name)
      throw err
    }
    this.log.info({ agent: name, unit, limits: launch.limits }, 'agent container started (systemd unit)')
    this.events.emit('started', name)
  }

  /** Stops the unit and resolves once it is down; a failed one is only forgotten (reset). */
  async stop(name: string): Promise<void> {
    const unit = agentUnit(name)
    const entry = this.running.get(name)
    if (entry) {
      entry.stopping = true
      await this.stopUnit(unit)
      // Not loaded any more, or it outlived the bound: either way the daemon is done with it.
      if (this.running.get(name) === entry) {
        this.running.delete(name)
        this.events.emit('exit', { name, code: null, signal: null, expected: true })
      }
    }
    // A start that came in meanwhile has its own sink, which systemd may not have connected to yet.
    if (!this.running.has(name)) this.output.close(name)
    this.failed.delete(name)
    // Stopped by us or crashed earlier: neither should stay listed as failed in systemd.
    await this.bus.resetFailed(unit)
  }

  /** Stops every running unit (daemon shutdown), then lets go of the bus. */
  async dispose(): Promise<void> {
    await Promise.all(this.names().map((name) => this.stop(name).catch((err: unknown) => this.log.error({ err, agent: name }, 'could not stop an agent unit'))))
    this.output.dispose()
    this.watcher.dispose()
    this.bus.dispose()
  }

  /** Asks systemd to stop a unit and waits (bounded) until the watcher sees it down. */
  private async stopUnit(unit: string): Promise<void> {
    const bound = Units.STOP_TIMEOUT_MS + Units.STOP_MARGIN_MS
    let timer: NodeJS.Timeout | undefined
    let listener: ((down: UnitDown) => void) | undefined
    const down = new Promise<boolean>((resolve) => {
      listener = (d) => d.unit === unit && resolve(true)
      this.watcher.events.on('down', listener)
      timer = setTimeout(() => resolve(false), bound)
    })
    try {
      if (!(await this.bus.stop(unit))) return
      const state = this.watcher.state(unit)
      if (state !== null && isDown(state)) return
      if (!(await down)) this.log.error({ unit, waitedMs: bound }, 'an agent unit did not stop in time')
    } finally {
      clearTimeout(timer)
      if (listener) this.watcher.events.off('down', listener)
    }
  }

  private onDown(down: UnitDown): void {
    const name = agentOfUnit(down.unit)
    const entry = name === undefined ? undefined : this.running.get(name)
    if (name === undefined || entry === undefined) return // a leftover being stopped, or not ours
    this.running.delete(name)
    this.output.close(name)
    const expected = entry.stopping
    if (!expected) this.failed.add(name)
    const killed = down.exitKind === 'killed' || down.exitKind === 'dumped'
    const reason = expected ? undefined : resultReason(down.result, entry.limits)
    const exit: ContainerExit = {
      name,
      code: down.exitKind === 'exited' ? down.exitStatus : null,
      signal: killed && down.exitStatus !== null ? signalName(down.exitStatus) : null,
      expected,
      ...(reason === undefined ? {} : { reason }),
      ...(down.result === null ? {} : { result: down.result }),
    }
    this.log.info({ agent: name, unit: down.unit, state: down.state, result: down.result, expected }, 'agent container unit went down')
    this.events.emit('exit', exit)
  }

  /** Names the unit's owner: a unit of the same name from another hive on this host is not touched. */
  private description(name: string): string {
    return `hyperhive agent ${name} (${this.paths.home})`
  }
}
