import { EventEmitter } from 'node:events'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SERVICE_IFACE, UNIT_IFACE, unitPath, type SystemdBusEvents, type UnitProperties } from '../../src/adapters/runtime/systemd-bus.ts'

/** How the nixos-container stand-in keeps a unit (units/<unit>, JSON). */
interface StandinUnit {
  active: string
  result: string
  status: number
}

/** Looks for changes this often: the stand-in runs in other processes and cannot signal. */
const LOOK_MS = 10

/**
 * systemd's side of the bus for the nixos-container stand-in (nixos-container-standin.mjs): a
 * unit source for the crash watcher that reads the units the stand-in's start and stop (and a
 * test's crash) write, and announces each change as systemd does, the Service interface (how it
 * ended) before the Unit one (its state). Not a systemd: the watcher itself is tested against
 * the real one (test/systemd-units.test.ts).
 */
export class StandinUnits {
  readonly events = new EventEmitter<SystemdBusEvents>()
  private readonly seen = new Map<string, string>()
  private readonly timer: NodeJS.Timeout

  constructor(private readonly dir: string) {
    this.timer = setInterval(() => this.announce(), LOOK_MS)
  }

  unit(name: string): Promise<UnitProperties | null> {
    const file = join(this.dir, name)
    return Promise.resolve(existsSync(file) ? properties(JSON.parse(readFileSync(file, 'utf8')) as StandinUnit) : null)
  }

  dispose(): void {
    clearInterval(this.timer)
  }

  private announce(): void {
    if (!existsSync(this.dir)) return
    // Dot files are units being written (the stand-in renames them into place).
    for (const unit of readdirSync(this.dir).filter((f) => !f.startsWith('.'))) {
      const text = readFileSync(join(this.dir, unit), 'utf8')
      if (this.seen.get(unit) === text) continue
      this.seen.set(unit, text)
      const { ActiveState, SubState, ...service } = properties(JSON.parse(text) as StandinUnit)
      this.events.emit('properties', unitPath(unit), SERVICE_IFACE, service)
      this.events.emit('properties', unitPath(unit), UNIT_IFACE, { ActiveState, SubState })
    }
  }
}

function properties(unit: StandinUnit): Required<Pick<UnitProperties, 'ActiveState' | 'SubState' | 'Result' | 'ExecMainCode' | 'ExecMainStatus'>> {
  const sub = unit.active === 'active' ? 'running' : unit.active === 'failed' ? 'failed' : 'dead'
  return { ActiveState: unit.active, SubState: sub, Result: unit.result, ExecMainCode: unit.result === 'signal' ? 2 : 1, ExecMainStatus: unit.status }
}
