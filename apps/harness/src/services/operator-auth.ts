import { tokenMatches, writeNewOperatorToken } from '../adapters/operator-token.ts'
import type { OperatorSessions } from './operator-sessions.ts'

/** What a request presents: a session cookie's value and/or a bearer token. */
export interface RequestCredentials {
  session?: string | undefined
  bearer?: string | undefined
}

export interface OperatorAuthOptions {
  /** `$HIVE_HOME/operator.token`, rewritten on rotation. */
  tokenFile: string
  /** Its current content. */
  token: string
  sessions: SessionStore
}

type SessionStore = Pick<OperatorSessions, 'create' | 'validate' | 'revokeAll'>

/**
 * Who is the operator over HTTP: the holder of the operator token (`Authorization: Bearer`, or
 * once at `/login` to open a session) or of a live session. Rotating the token or logging out
 * everywhere revokes every session.
 */
export class OperatorAuth {
  private readonly tokenFile: string
  private current: string
  private readonly sessions: SessionStore

  constructor(options: OperatorAuthOptions) {
    this.tokenFile = options.tokenFile
    this.current = options.token
    this.sessions = options.sessions
  }

  /** The token in force (the login URL carries it). */
  get token(): string {
    return this.current
  }

  /** A new session id when `token` is the operator token, else undefined. */
  async login(token: string): Promise<string | undefined> {
    return tokenMatches(token, this.current) ? await this.sessions.create() : undefined
  }

  async authenticate(credentials: RequestCredentials): Promise<boolean> {
    if (credentials.bearer !== undefined && tokenMatches(credentials.bearer, this.current)) return true
    return credentials.session !== undefined && (await this.sessions.validate(credentials.session))
  }

  /** Ends every dashboard session; how many there were. */
  logoutAll(): Promise<number> {
    return this.sessions.revokeAll()
  }

  /**
   * Replaces the operator token (file first, so a crash cannot bring the old one back) and ends
   * every session; returns how many sessions were revoked.
   */
  async rotateToken(): Promise<number> {
    this.current = writeNewOperatorToken(this.tokenFile)
    return this.sessions.revokeAll()
  }
}
