import type { IncomingHttpHeaders } from 'node:http'
import type { RequestCredentials } from '../../services/operator-auth.ts'

const SESSION_COOKIE = 'hive_session'

/**
 * Set-Cookie for a new session (its value is the random session id, see OperatorSessions):
 * unreadable by scripts, never sent cross-site, valid for the whole origin.
 */
export function sessionCookie(id: string): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/`
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return rest.join('=')
  }
  return undefined
}

/** What a request presents: the session cookie and/or `Authorization: Bearer <operator.token>` (scripts). */
export function credentialsOf(headers: Pick<IncomingHttpHeaders, 'cookie' | 'authorization'>): RequestCredentials {
  const auth = headers.authorization
  return {
    session: readCookie(headers.cookie, SESSION_COOKIE),
    bearer: auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : undefined,
  }
}
