import { MANAGER_NAME, SYSTEM, type HelperEvent } from '@hive/mcp'
import type { Broker } from './broker.ts'

/** Delivers a helper event (design.md) as a `system` message; it wakes the recipient. */
export function sendHelperEvent(broker: Pick<Broker, 'send'>, event: HelperEvent, to: string = MANAGER_NAME): void {
  broker.send(SYSTEM, [to], JSON.stringify(event))
}
