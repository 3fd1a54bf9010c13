import { EventEmitter } from 'node:events'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { CrashWatcher, isDown, type UnitDown, type UnitSource } from './crash-watcher.ts'
import { SERVICE_IFACE, UNIT_IFACE, unitPath, type SystemdBusEvents, type UnitProperties } from './systemd-bus.ts'

const UNIT = 'hive-agent@a.service'

/**
 * systemd as the watcher sees it: units it can read, and the signals it sends, in its order (the
 * Service interface's change first, then the Unit's, as systemd 252 does; dbus-crash-watch.md §4).
 */
class FakeSystemd implements UnitSource {
  readonly events = new EventEmitter<SystemdBusEvents>()
  readonly units = new Map<string, UnitProperties>()
  /** When set, a read waits for it: a signal can then overtake the read's answer. */
  gate: Promise<void> | null = null

  async unit(name: string): Promise<UnitProperties | null> {
    const snapshot = this.units.get(name) ?? null
    if (this.gate) await this.gate
    return snapshot
  }

  /** Changes a unit and announces it; `silent` changes it as if nobody was listening (bus away). */
  set(name: string, active: string, sub: string, service: UnitProperties = {}, silent = false): void {
    const next = { ...this.units.get(name), ...service, ActiveState: active, SubState: sub }
    this.units.set(name, next)
    if (silent) return
    if (Object.keys(service).length > 0) this.events.emit('properties', unitPath(name), SERVICE_IFACE, service)
    this.events.emit('properties', unitPath(name), UNIT_IFACE, { ActiveState: active, SubState: sub })
  }
}

function watcherOn(fake: FakeSystemd): { watcher: CrashWatcher; downs: UnitDown[] } {
  const watcher = new CrashWatcher(fake, pino({ level: 'silent' }))
  const downs: UnitDown[] = []
  watcher.events.on('down', (d) => downs.push(d))
  return { watcher, downs }
}

const CRASHED = { Result: 'signal', ExecMainCode: 2, ExecMainStatus: 9 }

describe('isDown', () => {
  it('counts failed, inactive and waiting-to-restart as down; starting, running and stopping as up', () => {
    expect(isDown({ active: 'failed', sub: 'failed' })).toBe(true)
    expect(isDown({ active: 'inactive', sub: 'dead' })).toBe(true)
    expect(isDown({ active: 'activating', sub: 'auto-restart' })).toBe(true)
    expect(isDown({ active: 'activating', sub: 'start' })).toBe(false)
    expect(isDown({ active: 'active', sub: 'running' })).toBe(false)
    expect(isDown({ active: 'deactivating', sub: 'stop-sigterm' })).toBe(false)
  })
})

describe('CrashWatcher', () => {
  it('seeds on first observation: a unit that had already failed reports nothing until it runs and fails again', async () => {
    const fake = new FakeSystemd()
    fake.set(UNIT, 'failed', 'failed', CRASHED)
    const { watcher, downs } = watcherOn(fake)
    expect(await watcher.watch(UNIT)).toEqual({ active: 'failed', sub: 'failed' })
    fake.set(UNIT, 'failed', 'failed')
    expect(downs).toEqual([])

    fake.set(UNIT, 'active', 'running', { Result: 'success', ExecMainCode: 0, ExecMainStatus: 0 })
    fake.set(UNIT, 'failed', 'failed', CRASHED)
    expect(downs).toEqual([{ unit: UNIT, state: { active: 'failed', sub: 'failed' }, result: 'signal', exitKind: 'killed', exitStatus: 9 }])
  })

  it('watches a unit before it exists: not loaded is down, so its start and crash are seen', async () => {
    const fake = new FakeSystemd()
    const { watcher, downs } = watcherOn(fake)
    expect(await watcher.watch(UNIT)).toEqual({ active: 'inactive', sub: 'dead' })
    fake.set(UNIT, 'activating', 'start')
    fake.set(UNIT, 'active', 'running')
    fake.set(UNIT, 'failed', 'failed', { Result: 'exit-code', ExecMainCode: 1, ExecMainStatus: 3 })
    expect(downs.map((d) => [d.result, d.exitKind, d.exitStatus])).toEqual([['exit-code', 'exited', 3]])
  })

  it('reports a crash under Restart= once, not again on the way back up; a second crash again', async () => {
    const fake = new FakeSystemd()
    fake.set(UNIT, 'active', 'running')
    const { watcher, downs } = watcherOn(fake)
    await watcher.watch(UNIT)
    fake.set(UNIT, 'failed', 'failed', CRASHED)
    fake.set(UNIT, 'activating', 'auto-restart')
    fake.set(UNIT, 'inactive', 'dead')
    fake.set(UNIT, 'active', 'running')
    expect(downs).toHaveLength(1)
    fake.set(UNIT, 'failed', 'failed', CRASHED)
    expect(downs).toHaveLength(2)
  })

  it('reports a clean stop too (the caller knows which stops were its own)', async () => {
    const fake = new FakeSystemd()
    fake.set(UNIT, 'active', 'running')
    const { watcher, downs } = watcherOn(fake)
    await watcher.watch(UNIT)
    fake.set(UNIT, 'deactivating', 'stop-sigterm')
    expect(downs).toEqual([])
    fake.set(UNIT, 'inactive', 'dead', { Result: 'success', ExecMainCode: 1, ExecMainStatus: 0 })
    expect(downs.map((d) => [d.state.active, d.result, d.exitKind, d.exitStatus])).toEqual([['inactive', 'success', 'exited', 0]])
  })

  it('drops a read that a signal overtook: the signal is newer', async () => {
    const fake = new FakeSystemd()
    fake.set(UNIT, 'active', 'running')
    const { watcher, downs } = watcherOn(fake)
    let open = () => undefined as void
    fake.gate = new Promise<void>((resolve) => (open = resolve))
    const watching = watcher.watch(UNIT)
    // The read's snapshot says running; systemd then reports the crash before the answer is handled.
    fake.set(UNIT, 'failed', 'failed', CRASHED)
    open()
    expect(await watching).toEqual({ active: 'failed', sub: 'failed' })
    // It was the first observation (a seed): the stale "running" answer must not turn it into a transition.
    fake.gate = null
    fake.set(UNIT, 'failed', 'failed')
    expect(downs).toEqual([])
  })

  it('after the bus comes back, reads every unit again and reports what went down meanwhile', async () => {
    const fake = new FakeSystemd()
    fake.set(UNIT, 'active', 'running')
    fake.set('hive-agent@b.service', 'active', 'running')
    const { watcher, downs } = watcherOn(fake)
    await watcher.watch(UNIT)
    await watcher.watch('hive-agent@b.service')
    fake.set(UNIT, 'failed', 'failed', CRASHED, true)
    fake.events.emit('resynced')
    await expect.poll(() => downs.map((d) => d.unit)).toEqual([UNIT])
    expect(downs[0]?.result).toBe('signal')
  })

  it('ignores units it does not watch, and forgets on request', async () => {
    const fake = new FakeSystemd()
    fake.set(UNIT, 'active', 'running')
    const { watcher, downs } = watcherOn(fake)
    fake.set('other.service', 'active', 'running')
    fake.set('other.service', 'failed', 'failed', CRASHED)
    await watcher.watch(UNIT)
    watcher.forget(UNIT)
    fake.set(UNIT, 'failed', 'failed', CRASHED)
    expect(downs).toEqual([])
    expect(watcher.state(UNIT)).toBeNull()
  })
})
