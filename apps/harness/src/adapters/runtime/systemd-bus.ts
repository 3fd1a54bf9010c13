import { EventEmitter } from 'node:events'
import dbus from 'dbus-next'
import type { Logger } from 'pino'
import * as z from 'zod'

const SystemdBusTiming = {
  /** ms a systemd call may take before it counts as failed: dbus-next has no call timeout of its own. */
  CALL_TIMEOUT_MS: 5_000,
  /** ms the start-up probe waits: a host without a (working) system bus must not slow the start down. */
  PROBE_TIMEOUT_MS: 2_000,
  /** ms between attempts to get the bus back after it went away. */
  RECONNECT_MS: 1_000,
} as const

const SD = 'org.freedesktop.systemd1'
const SD_PATH = '/org/freedesktop/systemd1'
const MANAGER = `${SD}.Manager`
const PROPERTIES = 'org.freedesktop.DBus.Properties'
const BUS = 'org.freedesktop.DBus'
export const UNIT_IFACE = `${SD}.Unit`
export const SERVICE_IFACE = `${SD}.Service`

/** Every unit's property changes, one rule (it survives systemd changing owners; dbus-crash-watch.md §5). */
const PROPERTIES_RULE = `type='signal',sender='${SD}',interface='${PROPERTIES}',member='PropertiesChanged',path_namespace='${SD_PATH}/unit'`
/** systemd re-executing or restarting: its subscription is gone and must be renewed. */
const OWNER_RULE = `type='signal',sender='${BUS}',interface='${BUS}',member='NameOwnerChanged',arg0='${SD}'`

/** A D-Bus value of a known type (dbus-next hands out `Variant`s with `any` values). */
const variant = <T extends z.ZodType>(value: T) =>
  z
    .instanceof(dbus.Variant)
    .transform((v: dbus.Variant<unknown>) => v.value)
    .pipe(value)

/** The properties of a unit that say what it is doing and how it ended; any subset may be present. */
const unitPropertiesSchema = z.object({
  ActiveState: variant(z.string()).optional(),
  SubState: variant(z.string()).optional(),
  Description: variant(z.string()).optional(),
  Result: variant(z.string()).optional(),
  ExecMainCode: variant(z.number().int()).optional(),
  ExecMainStatus: variant(z.number().int()).optional(),
})
export type UnitProperties = z.output<typeof unitPropertiesSchema>

const propertiesChangedSchema = z.tuple([z.string(), z.record(z.string(), z.unknown()), z.array(z.string())])

export interface SystemdBusEvents {
  /** A unit's properties changed (only its known ones are kept), by object path. */
  properties: [path: string, iface: string, changed: UnitProperties]
  /** The bus or systemd came back: every state learnt before may be stale. */
  resynced: []
}

/** One unit property of a transient unit: name, D-Bus signature, value. */
export type UnitProperty = [name: string, signature: string, value: unknown]

/**
 * The object path systemd gives a unit: every byte other than [A-Za-z0-9] (and a leading digit)
 * becomes `_xx` in hex, as systemd's bus_label_escape() does (dbus-crash-watch.md §3).
 */
export function unitPath(unit: string): string {
  const escaped = [...Buffer.from(unit, 'utf8')]
    .map((byte, i) => {
      const c = String.fromCharCode(byte)
      return /[A-Za-z]/.test(c) || (i > 0 && /[0-9]/.test(c)) ? c : `_${byte.toString(16).padStart(2, '0')}`
    })
    .join('')
  return `${SD_PATH}/unit/${escaped || '_'}`
}

/** A D-Bus error by name (e.g. org.freedesktop.systemd1.NoSuchUnit), as dbus-next reports it. */
function isDBusError(err: unknown, name: string): boolean {
  return err instanceof dbus.DBusError && err.type === name
}

/**
 * One open connection. dbus-next is weak when the bus fails (dbus-crash-watch.md §5): its
 * MessageBus reports nothing when the bus dies and calls in flight never settle. So every call
 * races a timeout and a "connection lost" promise, and the private connection's `end` is watched.
 */
class Connection {
  readonly lost: Promise<never>
  private lose: (err: Error) => void = () => undefined
  private closed = false

  private constructor(
    readonly bus: dbus.MessageBus,
    onLost: (conn: Connection, err: Error) => void,
  ) {
    this.lost = new Promise<never>((_, reject) => {
      this.lose = (err) => {
        if (this.closed) return
        this.closed = true
        reject(err)
        onLost(this, err)
      }
    })
    this.lost.catch(() => undefined)
    bus.on('error', (err: unknown) => this.lose(err instanceof Error ? err : new Error(String(err))))
    // HACK: MessageBus emits nothing when the bus goes away; only its private connection ends
    // (reproduced in reference/dbus-crash-watch.md §5). `_connection` is untyped.
    const inner = (bus as unknown as { _connection: EventEmitter })._connection
    inner.on('end', () => this.lose(new Error('the system bus closed the connection')))
  }

  static async open(address: string, timeoutMs: number, onLost: (conn: Connection, err: Error) => void): Promise<Connection> {
    const conn = new Connection(dbus.sessionBus({ busAddress: address }), onLost)
    const connected = new Promise<void>((resolve) => conn.bus.once('connect', () => resolve()))
    try {
      await conn.bounded(connected, timeoutMs, 'connecting to the system bus')
    } catch (err) {
      conn.close()
      throw err
    }
    return conn
  }

  async call(message: dbus.Message, timeoutMs: number): Promise<unknown[]> {
    if (this.closed) throw new Error('the system bus connection is closed')
    const reply = await this.bounded(this.bus.call(message), timeoutMs, `${message.interface}.${message.member}`)
    const body: unknown[] = reply?.body ?? []
    return body
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    // A disconnect with a reply still buffered makes dbus-next throw from a send (§5): send nothing more.
    this.bus.send = () => undefined
    this.bus.disconnect()
  }

  private bounded<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer from the system bus in ${timeoutMs} ms`)), timeoutMs)
    })
    return Promise.race([work, this.lost, timeout]).finally(() => clearTimeout(timer))
  }
}

interface SystemdBusOptions {
  /** D-Bus address of the system bus (DBUS_SYSTEM_BUS_ADDRESS, or the standard socket). */
  address: string
  log: Logger
  callTimeoutMs?: number
}

/**
 * The systemd manager on the system bus: transient units, their state, and their property
 * changes as events. It stays usable when the bus restarts: calls fail fast while it is away,
 * it reconnects on its own, subscribes again and emits `resynced`.
 */
export class SystemdBus {
  readonly events = new EventEmitter<SystemdBusEvents>()
  private conn: Connection | null = null
  private reconnecting: NodeJS.Timeout | undefined
  private disposed = false
  private readonly callTimeoutMs: number

  private constructor(private readonly opts: SystemdBusOptions) {
    this.callTimeoutMs = opts.callTimeoutMs ?? SystemdBusTiming.CALL_TIMEOUT_MS
  }

  /**
   * Connects and checks that systemd answers on the bus; null (with the reason logged) when there
   * is no system bus or no systemd on it: the caller then supervises its children itself.
   */
  static async connect(opts: SystemdBusOptions): Promise<SystemdBus | null> {
    const bus = new SystemdBus(opts)
    try {
      await bus.open(SystemdBusTiming.PROBE_TIMEOUT_MS)
      const version = await bus.managerProperty('Version')
      opts.log.info({ address: opts.address, systemd: version }, 'systemd answers on the system bus: agent containers run as transient units')
      return bus
    } catch (err) {
      bus.dispose()
      opts.log.info({ address: opts.address, reason: err instanceof Error ? err.message : String(err) }, 'no systemd on a system bus: agent containers are supervised children')
      return null
    }
  }

  /** The state of a loaded unit; null when systemd has not loaded it (never started, or collected). */
  async unit(name: string): Promise<UnitProperties | null> {
    let path: string
    try {
      const [reply] = await this.call(SD_PATH, MANAGER, 'GetUnit', 's', [name])
      path = z.string().parse(reply)
    } catch (err) {
      if (isDBusError(err, `${SD}.NoSuchUnit`)) return null
      throw err
    }
    const [unit, service] = await Promise.all([this.getAll(path, UNIT_IFACE), name.endsWith('.service') ? this.getAll(path, SERVICE_IFACE) : Promise.resolve({})])
    return { ...unit, ...service }
  }

  /** Starts a transient service (`systemd-run --unit`); resolves once systemd has queued its start job. */
  async startTransient(name: string, properties: readonly UnitProperty[]): Promise<void> {
    const props = properties.map(([key, signature, value]) => [key, new dbus.Variant(signature, value)])
    await this.call(SD_PATH, MANAGER, 'StartTransientUnit', 'ssa(sv)a(sa(sv))', [name, 'fail', props, []])
  }

  /** Queues a stop; false when the unit is not loaded (nothing to stop). */
  async stop(name: string): Promise<boolean> {
    try {
      await this.call(SD_PATH, MANAGER, 'StopUnit', 'ss', [name, 'replace'])
      return true
    } catch (err) {
      if (isDBusError(err, `${SD}.NoSuchUnit`)) return false
      throw err
    }
  }

  /** Forgets a unit's failure, so it can be collected and its name used again. */
  async resetFailed(name: string): Promise<void> {
    try {
      await this.call(SD_PATH, MANAGER, 'ResetFailedUnit', 's', [name])
    } catch (err) {
      if (!isDBusError(err, `${SD}.NoSuchUnit`)) throw err
    }
  }

  dispose(): void {
    this.disposed = true
    clearTimeout(this.reconnecting)
    this.conn?.close()
    this.conn = null
  }

  private async open(timeoutMs: number): Promise<void> {
    const conn = await Connection.open(this.opts.address, timeoutMs, (lost, err) => this.onLost(lost, err))
    conn.bus.on('message', (message) => this.onMessage(message))
    this.conn = conn
    for (const rule of [PROPERTIES_RULE, OWNER_RULE]) await this.call('/org/freedesktop/DBus', BUS, 'AddMatch', 's', [rule])
    await this.subscribe()
  }

  /** systemd sends no unit signals at all until someone subscribes (dbus-crash-watch.md §4). */
  private async subscribe(): Promise<void> {
    try {
      await this.call(SD_PATH, MANAGER, 'Subscribe', '', [])
    } catch (err) {
      if (!isDBusError(err, `${SD}.AlreadySubscribed`)) throw err
    }
  }

  private async managerProperty(name: string): Promise<unknown> {
    const [value] = await this.call(SD_PATH, PROPERTIES, 'Get', 'ss', [MANAGER, name])
    return value instanceof dbus.Variant ? (value as dbus.Variant<unknown>).value : value
  }

  private async getAll(path: string, iface: string): Promise<UnitProperties> {
    const [all] = await this.call(path, PROPERTIES, 'GetAll', 's', [iface])
    return unitPropertiesSchema.parse(all)
  }

  private call(path: string, iface: string, member: string, signature: string, body: unknown[]): Promise<unknown[]> {
    const conn = this.conn
    if (conn === null) return Promise.reject(new Error('the system bus is not connected (reconnecting)'))
    const destination = iface === BUS ? BUS : SD
    return conn.call(new dbus.Message({ destination, path, interface: iface, member, signature, body }), this.callTimeoutMs)
  }

  private onMessage(message: dbus.Message): void {
    if (message.type !== dbus.MessageType.SIGNAL) return
    if (message.interface === BUS && message.member === 'NameOwnerChanged') {
      const [, , owner] = message.body as unknown[]
      // systemd re-executed: it forgot its subscribers, and states may have moved meanwhile.
      if (typeof owner === 'string' && owner !== '') void this.resubscribe()
      return
    }
    if (message.interface !== PROPERTIES || message.member !== 'PropertiesChanged') return
    const parsed = propertiesChangedSchema.safeParse(message.body)
    if (!parsed.success) {
      this.opts.log.warn({ path: message.path }, 'ignoring a malformed PropertiesChanged from systemd')
      return
    }
    const [iface, changed] = parsed.data
    if (iface !== UNIT_IFACE && iface !== SERVICE_IFACE) return
    // Only the properties we read; others (timestamps, invalidations) pass by.
    const known = unitPropertiesSchema.safeParse(changed)
    if (known.success) this.events.emit('properties', message.path, iface, known.data)
  }

  private async resubscribe(): Promise<void> {
    try {
      await this.subscribe()
      this.events.emit('resynced')
    } catch (err) {
      this.opts.log.warn({ err }, 'could not subscribe to systemd again after it changed owners')
    }
  }

  private onLost(conn: Connection, err: Error): void {
    if (this.conn !== conn) return
    this.conn = null
    conn.close()
    if (this.disposed) return
    this.opts.log.error({ err: err.message }, 'lost the system bus: unit changes are not seen until it is back')
    this.scheduleReconnect()
  }

  private scheduleReconnect(): void {
    this.reconnecting = setTimeout(() => {
      if (this.disposed) return
      this.open(this.callTimeoutMs)
        .then(() => {
          if (this.disposed) return this.dispose()
          this.opts.log.warn('the system bus is back: resyncing the agents’ units')
          this.events.emit('resynced')
        })
        .catch((err: unknown) => {
          this.conn?.close()
          this.conn = null
          this.opts.log.debug({ err }, 'system bus still away')
          this.scheduleReconnect()
        })
    }, SystemdBusTiming.RECONNECT_MS)
    this.reconnecting.unref()
  }
}
