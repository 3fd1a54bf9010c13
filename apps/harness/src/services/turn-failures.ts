import type { Logger } from 'pino'
import type { StoredMessage } from '@hive/db'
import { MANAGER_NAME, type Activity, type TurnFailure } from '@hive/mcp'
import type { AgentActivity } from './agent-activity.ts'
import type { Broker } from './broker.ts'
import { sendHelperEvent } from './helper-events.ts'
import type { LiveBus } from './live-bus.ts'

export const FailurePolicy = {
  /** Turn errors on the same message before it becomes a dead letter. */
  DEAD_LETTER_AFTER: 3,
  /** Pause after a turn error, so a broken setup does not spin. */
  TURN_ERROR_BACKOFF_MS: 2_000,
  /** Outage backoff: doubles per consecutive outage turn, from BASE up to CAP. */
  OUTAGE_BASE_MS: 2_000,
  OUTAGE_CAP_MS: 60_000,
  /** A `retry-after` longer than this is not believed (a broken upstream must not park us for days). */
  RETRY_AFTER_CAP_MS: 60 * 60_000,
  /** Without a login nothing changes until the operator acts: look again every minute. */
  NEEDS_LOGIN_BACKOFF_MS: 60_000,
} as const

export interface TurnFailuresDeps {
  broker: Pick<Broker, 'failLeased' | 'requeue' | 'send'>
  activity: Pick<AgentActivity, 'set'>
  live: Pick<LiveBus, 'publish'>
  log: Logger
  now?: () => number
}

export interface FailureReport {
  failure: TurnFailure
  error: string
  apiStatus?: number
}

export interface FailureVerdict {
  requeued: number
  deadLettered: number[]
  retryInMs: number
}

/**
 * What a failed turn does to the messages it was handling. An outage (model unreachable, rate
 * limit) or a missing login is not the message's fault: it goes back untouched and the agent
 * parks with capped exponential backoff, showing why. A turn error counts an attempt; a message
 * that keeps failing becomes a dead letter the operator sees, never a silent drop.
 */
export class TurnFailures {
  private readonly outages = new Map<string, number>()
  /** Upstream `retry-after` the gateway saw, as the time it ends. */
  private readonly retryAfter = new Map<string, number>()
  private readonly now: () => number

  constructor(private readonly deps: TurnFailuresDeps) {
    this.now = deps.now ?? Date.now
  }

  async report(agent: string, report: FailureReport): Promise<FailureVerdict> {
    if (report.failure === 'turn_error') return this.turnError(agent, report.error)
    const requeued = await this.deps.broker.requeue(agent)
    const retryInMs = report.failure === 'needs_login' ? FailurePolicy.NEEDS_LOGIN_BACKOFF_MS : this.outageDelay(agent)
    const state = outageState(report)
    this.deps.activity.set(agent, state, this.now() + retryInMs)
    this.deps.log.warn({ agent, state, apiStatus: report.apiStatus, retryInMs, requeued, error: report.error.slice(0, 300) }, 'model unavailable: message kept, retrying later')
    return { requeued, deadLettered: [], retryInMs }
  }

  /** A turn went through: the next outage starts its backoff from the beginning. */
  recovered(agent: string): void {
    this.outages.delete(agent)
    this.retryAfter.delete(agent)
  }

  /** The gateway relayed a 429/503/529 carrying `retry-after`. */
  upstreamRetryAfter(agent: string, ms: number): void {
    this.retryAfter.set(agent, this.now() + Math.min(ms, FailurePolicy.RETRY_AFTER_CAP_MS))
  }

  forget(agent: string): void {
    this.recovered(agent)
  }

  private outageDelay(agent: string): number {
    const n = (this.outages.get(agent) ?? 0) + 1
    this.outages.set(agent, n)
    const backoff = Math.min(FailurePolicy.OUTAGE_CAP_MS, FailurePolicy.OUTAGE_BASE_MS * 2 ** Math.min(n - 1, 20))
    const upstream = (this.retryAfter.get(agent) ?? 0) - this.now()
    return Math.max(backoff, upstream)
  }

  private async turnError(agent: string, error: string): Promise<FailureVerdict> {
    const { deadLettered, requeued } = await this.deps.broker.failLeased(agent, error, FailurePolicy.DEAD_LETTER_AFTER)
    for (const message of deadLettered) this.announce(message)
    if (deadLettered.length > 0) this.deps.live.publish({ type: 'dead_letters.changed' })
    return { requeued, deadLettered: deadLettered.map((m) => m.id), retryInMs: FailurePolicy.TURN_ERROR_BACKOFF_MS }
  }

  private announce(message: StoredMessage): void {
    this.deps.log.error(
      { id: message.id, agent: message.recipient, from: message.sender, attempts: message.attempts, error: message.lastError?.slice(0, 300) },
      'message failed too often: dead-lettered',
    )
    // The manager's own dead letters are the operator's to see: telling a failing manager would
    // only make another message for it to fail on.
    if (message.recipient === MANAGER_NAME) return
    sendHelperEvent(this.deps, {
      event: 'message_dead_lettered',
      id: message.id,
      agent: message.recipient,
      from: message.sender,
      attempts: message.attempts,
      error: (message.lastError ?? '').slice(0, 1000),
    })
  }
}

function outageState(report: FailureReport): Activity {
  if (report.failure === 'needs_login') return 'needs-login'
  return report.apiStatus === 429 ? 'rate-limited' : 'model-down'
}
