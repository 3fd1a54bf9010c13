import { createHash, randomBytes } from 'node:crypto'
import type { OperatorSessionsRepository } from '@hive/db'

export const SessionConstants = {
  /** Random bytes in a session id: 256 bits nobody guesses; base64url makes 43 characters. */
  ID_BYTES: 32,
  /**
   * A session's last use is written at most this often, in ms: otherwise every dashboard request
   * writes hive.db. Idle expiry is this much less precise (capped at a tenth of the idle time).
   */
  TOUCH_INTERVAL_MS: 60_000,
} as const

/** The shape of an id this store hands out, checked before any lookup. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/

/** Where sessions are kept: OperatorSessionsRepository over hive.db. */
export type SessionRows = Pick<OperatorSessionsRepository, 'create' | 'find' | 'touch' | 'delete' | 'deleteIdleSince' | 'deleteAll'>

export interface OperatorSessionsOptions {
  rows: SessionRows
  /** A session unused this long is gone. */
  idleMs: number
  now?: () => number
}

/**
 * The operator's dashboard sessions: a random id per login, handed to the browser and stored
 * only as its sha256. A session lives while it is used at least once per `idleMs`, and
 * `revokeAll` ends every one of them.
 */
export class OperatorSessions {
  private readonly rows: SessionRows
  private readonly idleMs: number
  private readonly touchIntervalMs: number
  private readonly now: () => number

  constructor(options: OperatorSessionsOptions) {
    this.rows = options.rows
    this.idleMs = options.idleMs
    this.touchIntervalMs = Math.min(SessionConstants.TOUCH_INTERVAL_MS, options.idleMs / 10)
    this.now = options.now ?? Date.now
  }

  /** A new session; returns its id, which is never stored. Expired sessions are pruned here. */
  async create(): Promise<string> {
    const now = this.now()
    await this.rows.deleteIdleSince(new Date(now - this.idleMs))
    const id = randomBytes(SessionConstants.ID_BYTES).toString('base64url')
    await this.rows.create(hashOf(id), new Date(now))
    return id
  }

  /** Whether `id` names a live session; using it keeps it alive, an expired one is deleted. */
  async validate(id: string): Promise<boolean> {
    if (!SESSION_ID.test(id)) return false
    const idHash = hashOf(id)
    const session = await this.rows.find(idHash)
    if (!session) return false
    const now = this.now()
    const idle = now - session.lastSeenAt.getTime()
    if (idle > this.idleMs) {
      await this.rows.delete(idHash)
      return false
    }
    if (idle >= this.touchIntervalMs) return this.rows.touch(idHash, new Date(now))
    return true
  }

  /** Ends every session; how many there were. */
  revokeAll(): Promise<number> {
    return this.rows.deleteAll()
  }
}

function hashOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url')
}
