import type { HivePaths } from '../adapters/hive-paths.ts'
import type { AgentConfigs } from '../services/agent-configs.ts'
import type { AgentDirectory } from '../services/agent-directory.ts'
import type { AgentLifecycle } from '../services/agent-lifecycle.ts'
import type { ApprovalDesk } from '../services/approval-desk.ts'
import type { Broker } from '../services/broker.ts'
import type { ControlChannel } from '../services/control-channel.ts'
import type { DeadLetters } from '../services/dead-letters.ts'
import type { LiveBus } from '../services/live-bus.ts'
import type { Messaging } from '../services/messaging.ts'
import type { OperatorAuth } from '../services/operator-auth.ts'
import type { QuestionDesk } from '../services/question-desk.ts'
import type { TurnFailures } from '../services/turn-failures.ts'
import type { TurnJournal } from '../services/turn-journal.ts'

/** Facts about the running daemon itself. */
interface DaemonInfo {
  version: string
  startedAt: number
  loginUrl(): string
  /** Tail of an agent's harness log. */
  logTail(name: string, lines: number): Promise<string[]>
}

/** The daemon's services, built once in the composition root; operations run against these. */
export interface HiveServices {
  paths: HivePaths
  lifecycle: AgentLifecycle
  directory: AgentDirectory
  configs: AgentConfigs
  journal: TurnJournal
  failures: TurnFailures
  deadLetters: DeadLetters
  messaging: Messaging
  broker: Broker
  control: ControlChannel
  approvals: ApprovalDesk
  questions: QuestionDesk
  live: LiveBus
  /** The operator's HTTP credentials: logging out everywhere, rotating the token. */
  auth: Pick<OperatorAuth, 'logoutAll' | 'rotateToken'>
  daemon: DaemonInfo
}
