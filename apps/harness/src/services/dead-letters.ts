import type { StoredMessage } from '@hive/db'
import { HiveError, HiveErrorCode, Limits, type DeadLetterView } from '@hive/mcp'
import { pageBefore } from '../domain/page-within-bytes.ts'
import type { Broker } from './broker.ts'
import type { LiveBus } from './live-bus.ts'

export interface DeadLettersDeps {
  broker: Pick<Broker, 'deadLetters' | 'reviveDeadLetter' | 'discardDeadLetter'>
  live: Pick<LiveBus, 'publish'>
}

/** The operator's view of messages that failed too often: list, retry (requeue), discard. */
export class DeadLetters {
  constructor(private readonly deps: DeadLettersDeps) {}

  /** Newest first, a page at a time: a page holds at most `limit` of them and fits one socket line. */
  list(limit: number, beforeId?: number): { items: DeadLetterView[]; nextBefore: number | null } {
    return pageBefore(this.deps.broker.deadLetters(limit + 1, beforeId).map(toDeadLetterView), limit, Limits.MAX_PAGE_BYTES)
  }

  async retry(id: number): Promise<DeadLetterView> {
    const row = (await this.deps.broker.reviveDeadLetter(id)) ?? notDead(id)
    this.deps.live.publish({ type: 'dead_letters.changed' })
    return toDeadLetterView(row)
  }

  async discard(id: number): Promise<DeadLetterView> {
    const row = (await this.deps.broker.discardDeadLetter(id)) ?? notDead(id)
    this.deps.live.publish({ type: 'dead_letters.changed' })
    return toDeadLetterView(row)
  }
}

function notDead(id: number): never {
  throw new HiveError(HiveErrorCode.NotFound, `no dead letter with id ${id} (see \`hive dead-letters\`)`)
}

function toDeadLetterView(m: StoredMessage): DeadLetterView {
  return {
    id: m.id,
    from: m.sender,
    to: m.recipient,
    body: m.body,
    sent_at: m.sentAt,
    attempts: m.attempts,
    dead_lettered_at: m.deadLetteredAt,
    last_error: m.lastError,
  }
}
