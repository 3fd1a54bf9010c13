import { MANAGER_NAME, SYSTEM } from '@hive/mcp'
import type { Broker } from './broker.ts'

/** Helper events of design.md: JSON bodies from sender `system`, discriminated by `event`. */
export type HelperEvent =
  | { event: 'spawned'; agent: string }
  | { event: 'killed'; agent: string; by: string }
  | { event: 'started'; agent: string; by: string }
  | { event: 'restarted'; agent: string; by: string }
  | { event: 'rebuilt'; agent: string }
  | { event: 'destroyed'; agent: string; purged: boolean }
  | { event: 'container_crash'; agent: string; note: string }
  | { event: 'approval_resolved'; id: number; kind: string; agent: string; status: string; note?: string; sha?: string }
  | { event: 'operator_answered'; id: number; question: string; answer: string }
  | { event: 'question_expired'; id: number; question: string; answer: '[expired]' }
  | { event: 'notes_compacted'; agent: string; bytes_before: number; bytes_after: number }

export function sendHelperEvent(broker: Broker, event: HelperEvent, to: string = MANAGER_NAME): void {
  broker.send(SYSTEM, [to], JSON.stringify(event))
}
