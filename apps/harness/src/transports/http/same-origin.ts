import type { IncomingMessage } from 'node:http'

/**
 * Cross-site requests are refused even when a browser would attach the cookie: a present
 * `Origin` must be our own. (Browsers always send Origin on POST and on websocket upgrades.)
 */
export function isSameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin
  if (origin === undefined) return true // not a browser (curl, scripts with the bearer token)
  const host = req.headers.host
  if (!host) return false
  try {
    return new URL(origin).host === host
  } catch {
    return false
  }
}
