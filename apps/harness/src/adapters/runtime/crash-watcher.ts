import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import { unitPath, UNIT_IFACE, type SystemdBusEvents, type UnitProperties } from './systemd-bus.ts'

/** What systemd says a unit is doing (`ActiveState`, `SubState`). */
export interface UnitState {
  active: string
  sub: string
}

/** A watched unit went down: failed, stopped, or on its way back up after a failure. */
export interface UnitDown {
  unit: string
  state: UnitState
  /** systemd's `Result` of the service: `signal`, `exit-code`, `oom-kill`, `timeout`, `success`… */
  result: string | null
  /** How its main process ended (`ExecMainCode`: 1 exited, 2 killed, 3 dumped core), when known. */
  exitKind: 'exited' | 'killed' | 'dumped' | null
  /** The exit code, or the signal number when killed or dumped (`ExecMainStatus`). */
  exitStatus: number | null
}

interface CrashWatcherEvents {
  down: [UnitDown]
}

/** Where the watcher reads units and hears their changes (the system bus, or a stand-in). */
export interface UnitSource {
  readonly events: EventEmitter<SystemdBusEvents>
  unit(name: string): Promise<UnitProperties | null>
}

interface Watched {
  unit: string
  /** Null until first observed: the first observation only seeds. */
  state: UnitState | null
  result: string | null
  exitCode: number | null
  exitStatus: number | null
  /** Signals seen so far: a read that raced a signal is older than it and is dropped. */
  signals: number
}

/** A unit that systemd has not loaded is as good as stopped. */
const NOT_LOADED: UnitState = { active: 'inactive', sub: 'dead' }

/**
 * Down = gone: failed, inactive, or waiting to be restarted. With `Restart=` a crash runs failed →
 * auto-restart → inactive → active; all of those but the last are down, so one crash is reported
 * once (dbus-crash-watch.md §4). `deactivating` is not down yet: a stop has ended only once nothing
 * of the unit runs (a new start of the same unit would fail before that).
 */
export function isDown(state: UnitState): boolean {
  return state.active === 'failed' || state.active === 'inactive' || state.sub === 'auto-restart'
}

const EXIT_KINDS: Record<number, UnitDown['exitKind']> = { 1: 'exited', 2: 'killed', 3: 'dumped' }

/**
 * Follows systemd units and reports each one that goes from up to down, whoever caused it (the
 * caller knows which stops were its own). It seeds on the first observation, so a unit that had
 * already failed before it was watched (a daemon restart) reports nothing; after the bus or
 * systemd comes back, every unit is read again and a change that happened meanwhile is reported.
 */
export class CrashWatcher {
  readonly events = new EventEmitter<CrashWatcherEvents>()
  private readonly byPath = new Map<string, Watched>()
  private readonly onProperties = (path: string, iface: string, changed: UnitProperties) => this.apply(path, iface, changed)
  private readonly onResynced = () => void this.resync()

  constructor(
    private readonly source: UnitSource,
    private readonly log: Logger,
  ) {
    source.events.on('properties', this.onProperties)
    source.events.on('resynced', this.onResynced)
  }

  /**
   * Starts following a unit and resolves with its state (not loaded counts as inactive). Signals
   * are heard from the call on, so nothing between the read and the next change is missed.
   */
  async watch(unit: string): Promise<UnitState> {
    const path = unitPath(unit)
    const watched = this.byPath.get(path) ?? { unit, state: null, result: null, exitCode: null, exitStatus: null, signals: 0 }
    this.byPath.set(path, watched)
    await this.read(watched)
    return watched.state ?? NOT_LOADED
  }

  forget(unit: string): void {
    this.byPath.delete(unitPath(unit))
  }

  /** The last known state of a watched unit; null when it is not watched or not yet observed. */
  state(unit: string): UnitState | null {
    return this.byPath.get(unitPath(unit))?.state ?? null
  }

  dispose(): void {
    this.source.events.off('properties', this.onProperties)
    this.source.events.off('resynced', this.onResynced)
    this.byPath.clear()
  }

  private async read(watched: Watched): Promise<void> {
    const before = watched.signals
    const props = await this.source.unit(watched.unit)
    // D-Bus keeps systemd's order, but a signal may be handled before this continuation runs: it is newer.
    if (watched.signals !== before || this.byPath.get(unitPath(watched.unit)) !== watched) return
    if (props === null) this.observe(watched, NOT_LOADED)
    else this.apply(unitPath(watched.unit), UNIT_IFACE, props, false)
  }

  private apply(path: string, iface: string, changed: UnitProperties, signal = true): void {
    const watched = this.byPath.get(path)
    if (!watched) return
    if (signal) watched.signals++
    // systemd announces the Service interface (Result, exit status) before the Unit one (states).
    if (changed.Result !== undefined) watched.result = changed.Result
    if (changed.ExecMainCode !== undefined) watched.exitCode = changed.ExecMainCode
    if (changed.ExecMainStatus !== undefined) watched.exitStatus = changed.ExecMainStatus
    if (iface !== UNIT_IFACE || changed.ActiveState === undefined || changed.SubState === undefined) return
    this.observe(watched, { active: changed.ActiveState, sub: changed.SubState })
  }

  private observe(watched: Watched, next: UnitState): void {
    const previous = watched.state
    watched.state = next
    if (previous === null || isDown(previous) || !isDown(next)) return
    this.events.emit('down', {
      unit: watched.unit,
      state: next,
      result: watched.result,
      exitKind: watched.exitCode === null ? null : (EXIT_KINDS[watched.exitCode] ?? null),
      exitStatus: watched.exitCode === null ? null : watched.exitStatus,
    })
  }

  /** After the bus or systemd came back: what changed while nobody listened is read, not lost. */
  private async resync(): Promise<void> {
    await Promise.all(
      [...this.byPath.values()].map((watched) =>
        this.read(watched).catch((err: unknown) => this.log.warn({ err, unit: watched.unit }, 'could not read a unit again after the bus came back')),
      ),
    )
  }
}
