import type { Broker } from '../daemon/broker.ts'
import type { Hive } from '../daemon/hive.ts'
import type { LiveBus } from '../daemon/live-bus.ts'

/** What every procedure can reach. The HTTP layer has already authenticated the operator. */
export interface ApiContext {
  hive: Hive
  broker: Broker
  live: LiveBus
  /** Tail of an agent's harness log (shared with `hive logs`). */
  logTail: (name: string, lines: number) => Promise<string[]>
  operator: true
}
