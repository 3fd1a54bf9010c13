import { EventEmitter } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HiveError } from '@hive/mcp'
import type { ContainerExit } from './container-runtime.ts'
import { SERVICE_IFACE, UNIT_IFACE, unitPath, type SystemdBusEvents, type UnitProperties, type UnitProperty } from './systemd-bus.ts'
import { UnitSupervisor, unitProperties, type UnitManager } from './systemd-units.ts'

const LIMITS = { memoryMB: 256, pids: 64, cpuWeight: 50 }
const MiB = 1024 * 1024

/**
 * systemd as a state machine, announced the way systemd 252 does (Service change, then Unit
 * change; dbus-crash-watch.md §4): start → active, stop → deactivating → inactive (collected),
 * kill → failed until reset.
 */
class StandInSystemd implements UnitManager {
  readonly events = new EventEmitter<SystemdBusEvents>()
  readonly units = new Map<string, UnitProperties>()
  readonly started: { name: string; properties: readonly UnitProperty[] }[] = []
  readonly calls: string[] = []

  unit(name: string): Promise<UnitProperties | null> {
    return Promise.resolve(this.units.get(name) ?? null)
  }

  startTransient(name: string, properties: readonly UnitProperty[]): Promise<void> {
    this.calls.push(`start ${name}`)
    if (this.units.has(name)) return Promise.reject(new Error(`Unit ${name} was already loaded or has a fragment file.`))
    this.started.push({ name, properties })
    const description = properties.find(([key]) => key === 'Description')?.[2] as string
    this.units.set(name, { Description: description })
    this.change(name, 'activating', 'start')
    this.change(name, 'active', 'running', { Result: 'success', ExecMainCode: 0, ExecMainStatus: 0 })
    return Promise.resolve()
  }

  stop(name: string): Promise<boolean> {
    this.calls.push(`stop ${name}`)
    if (!this.units.has(name)) return Promise.resolve(false)
    // The job is queued; the unit goes down afterwards, as it does in systemd.
    setImmediate(() => {
      this.change(name, 'deactivating', 'stop-sigterm')
      this.change(name, 'inactive', 'dead', { Result: 'success', ExecMainCode: 1, ExecMainStatus: 0 })
      this.units.delete(name)
    })
    return Promise.resolve(true)
  }

  resetFailed(name: string): Promise<void> {
    this.calls.push(`reset-failed ${name}`)
    if (this.units.get(name)?.ActiveState === 'failed') this.units.delete(name)
    return Promise.resolve()
  }

  dispose(): void {}

  /** Behind the daemon's back: `systemctl kill`, the OOM killer, a payload exiting. */
  fail(name: string, service: UnitProperties): void {
    this.change(name, 'failed', 'failed', service)
  }

  /** A unit some earlier process left running, with that owner's description. */
  leftover(name: string, description: string): void {
    this.units.set(name, { Description: description, ActiveState: 'active', SubState: 'running' })
  }

  private change(name: string, active: string, sub: string, service: UnitProperties = {}): void {
    this.units.set(name, { ...this.units.get(name), ...service, ActiveState: active, SubState: sub })
    if (Object.keys(service).length > 0) this.events.emit('properties', unitPath(name), SERVICE_IFACE, service)
    this.events.emit('properties', unitPath(name), UNIT_IFACE, { ActiveState: active, SubState: sub })
  }
}

describe('unitProperties', () => {
  it("carries the agent's limits as MemoryMax, TasksMax and CPUWeight, and stops nspawn alone first", () => {
    const props = unitProperties({ name: 'a', argv: ['/usr/bin/systemd-nspawn', '--quiet'], env: { PATH: '/usr/bin' }, limits: LIMITS }, 'hyperhive agent a (/h)', '/h/run/unit-logs/a.sock')
    const byName = new Map(props.map(([key, signature, value]) => [key, { signature, value }]))
    expect(byName.get('MemoryMax')).toEqual({ signature: 't', value: BigInt(256 * MiB) })
    expect(byName.get('TasksMax')).toEqual({ signature: 't', value: 64n })
    expect(byName.get('CPUWeight')).toEqual({ signature: 't', value: 50n })
    expect(byName.get('ExecStart')).toEqual({ signature: 'a(sasb)', value: [['/usr/bin/systemd-nspawn', ['/usr/bin/systemd-nspawn', '--quiet'], false]] })
    expect(byName.get('Environment')?.value).toEqual(['PATH=/usr/bin'])
    expect(byName.get('KillMode')?.value).toBe('mixed')
    expect(byName.get('StandardOutputFileToAppend')?.value).toBe('/h/run/unit-logs/a.sock')
  })

  it('refuses a command systemd could not run (not absolute)', () => {
    expect(() => unitProperties({ name: 'a', argv: ['systemd-nspawn'], env: {}, limits: LIMITS }, 'd', '/l')).toThrow(/absolute/)
  })
})

describe('unitPath', () => {
  it('escapes like systemd (bus_label_escape), a leading digit included', () => {
    expect(unitPath('hive-agent@a.service')).toBe('/org/freedesktop/systemd1/unit/hive_2dagent_40a_2eservice')
    expect(unitPath('1x.service')).toBe('/org/freedesktop/systemd1/unit/_31x_2eservice')
    expect(unitPath('')).toBe('/org/freedesktop/systemd1/unit/_')
  })
})

describe('UnitSupervisor', () => {
  let home: string
  let systemd: StandInSystemd
  let units: UnitSupervisor
  let exits: ContainerExit[]
  const paths = () => ({
    home,
    logsDir: join(home, 'logs'),
    agentLog: (name: string) => join(home, 'logs', `${name}.log`),
    unitLogSocket: (name: string) => join(home, 'run', 'unit-logs', `${name}.sock`),
  })
  const launch = (name: string) => ({ name, argv: ['/usr/bin/systemd-nspawn'], env: {}, limits: LIMITS })

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'hive-units-'))
    systemd = new StandInSystemd()
    units = new UnitSupervisor(systemd, paths(), pino({ level: 'silent' }))
    exits = []
    units.events.on('exit', (e) => exits.push(e))
  })
  afterEach(async () => {
    await units.dispose()
    rmSync(home, { recursive: true, force: true })
  })

  it('reports a unit that fails behind its back as a crash, with the signal and systemd’s result', async () => {
    await units.start(launch('a'))
    expect(units.status('a')).toBe('running')
    systemd.fail('hive-agent@a.service', { Result: 'signal', ExecMainCode: 2, ExecMainStatus: 9 })
    expect(exits).toEqual([{ name: 'a', code: null, signal: 'SIGKILL', expected: false, result: 'signal' }])
    expect(units.status('a')).toBe('failed')
  })

  it('says why when systemd knows more than the exit (out of memory)', async () => {
    await units.start(launch('a'))
    systemd.fail('hive-agent@a.service', { Result: 'oom-kill', ExecMainCode: 2, ExecMainStatus: 9 })
    expect(exits[0]).toMatchObject({ expected: false, result: 'oom-kill', reason: 'killed: out of memory (limit 256 MB)' })
  })

  it('its own stop is no crash, waits until the unit is down, and leaves nothing failed in systemd', async () => {
    await units.start(launch('a'))
    await units.stop('a')
    expect(exits).toEqual([{ name: 'a', code: 0, signal: null, expected: true, result: 'success' }])
    expect(units.status('a')).toBe('stopped')
    expect(systemd.units.has('hive-agent@a.service')).toBe(false)
  })

  it('a crashed unit is reset before the agent starts again, and stopping it only forgets the failure', async () => {
    await units.start(launch('a'))
    systemd.fail('hive-agent@a.service', { Result: 'exit-code', ExecMainCode: 1, ExecMainStatus: 3 })
    expect(exits.map((e) => [e.code, e.expected])).toEqual([[3, false]])
    await units.stop('a')
    expect(units.status('a')).toBe('stopped')
    expect(exits).toHaveLength(1)
    await units.start(launch('a'))
    expect(units.status('a')).toBe('running')
    expect(systemd.started).toHaveLength(2)
  })

  it('stops a unit of its own left by a previous daemon before starting, without calling that a crash', async () => {
    systemd.leftover('hive-agent@a.service', `hyperhive agent a (${home})`)
    await units.start(launch('a'))
    expect(systemd.calls).toEqual(['stop hive-agent@a.service', 'reset-failed hive-agent@a.service', 'start hive-agent@a.service'])
    expect(exits).toEqual([])
    expect(units.status('a')).toBe('running')
  })

  it("refuses to touch a unit of the same name that is someone else's", async () => {
    systemd.leftover('hive-agent@a.service', 'hyperhive agent a (/var/lib/another-hive)')
    await expect(units.start(launch('a'))).rejects.toThrow(HiveError)
    await expect(units.start(launch('a'))).rejects.toThrow(/belongs to something else/)
    expect(systemd.calls).toEqual([])
    expect(units.status('a')).toBe('stopped')
  })

  it('a start systemd refuses leaves the agent stopped', async () => {
    systemd.startTransient = () => Promise.reject(new Error('Access denied'))
    await expect(units.start(launch('a'))).rejects.toThrow('Access denied')
    expect(units.status('a')).toBe('stopped')
  })

  it('rotates the log systemd appends to once it passes its cap', async () => {
    await units.start(launch('a'))
    await units.stop('a')
    const log = paths().agentLog('a')
    writeFileSync(log, Buffer.alloc(10 * MiB + 1, 'x'))
    await units.start(launch('a'))
    expect(statSync(log).size).toBe(0)
    expect(readFileSync(`${log}.1`).length).toBe(10 * MiB + 1)
  })
})
