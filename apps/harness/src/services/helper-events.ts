import type { Logger } from 'pino'
import { MANAGER_NAME, SYSTEM, type HelperEvent } from '@hive/mcp'
import type { Broker } from './broker.ts'

export interface HelperEventDeps {
  broker: Pick<Broker, 'send'>
  log: Pick<Logger, 'error'>
}

/**
 * Delivers a helper event (design.md) as a `system` message; it wakes the recipient. Fire and
 * forget: what it reports has happened already, so an event the database refused (busy past the
 * broker's bound) is logged rather than failing the action that raised it.
 */
export function sendHelperEvent(deps: HelperEventDeps, event: HelperEvent, to: string = MANAGER_NAME): void {
  deps.broker.send(SYSTEM, [to], JSON.stringify(event)).catch((err: unknown) => {
    deps.log.error({ err, event: event.event, to }, 'helper event lost: the broker could not store it')
  })
}
