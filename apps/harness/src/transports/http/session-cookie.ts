import { createHmac } from 'node:crypto'
import { tokenMatches } from '../../adapters/operator-token.ts'

export const SESSION_COOKIE = 'hive_session'

/**
 * The cookie value is derived from the operator token, so sessions survive daemon restarts and a
 * rotated token logs every browser out.
 */
export function sessionValue(operatorToken: string): string {
  return createHmac('sha256', operatorToken).update('hive-session-v1').digest('base64url')
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return rest.join('=')
  }
  return undefined
}

/** Cookie session or `Authorization: Bearer <operator.token>` (scripts). */
export function isAuthenticated(
  headers: { cookie?: string | undefined; authorization?: string | undefined },
  operatorToken: string,
): boolean {
  const cookie = readCookie(headers.cookie, SESSION_COOKIE)
  if (cookie !== undefined && tokenMatches(cookie, sessionValue(operatorToken))) return true
  const auth = headers.authorization
  if (auth?.startsWith('Bearer ')) return tokenMatches(auth.slice('Bearer '.length).trim(), operatorToken)
  return false
}
