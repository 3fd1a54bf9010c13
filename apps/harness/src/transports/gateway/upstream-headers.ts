import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { OperatorCredentials } from '../../adapters/env.ts'

/** Per-connection headers that a proxy must not forward (RFC 9110 §7.6.1), plus Host. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host'])

/** The OAuth beta the claude CLI sends with a subscription token. */
const OAUTH_BETA = 'oauth-2025-04-20'

/** Headers minus the per-connection ones, as a proxy forwards them either way. */
export function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.includes(name)) continue
    out[name] = value
  }
  return out
}

/**
 * What goes upstream: the agent's headers minus hop-by-hop ones, with the operator's credentials
 * in place of whatever the agent sent. Without operator credentials the agent's own login (its
 * `/root/.claude` OAuth token) passes through untouched.
 */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, upstreamHost: string, credentials: OperatorCredentials): OutgoingHttpHeaders {
  const out = withoutHopByHop(headers)
  out.host = upstreamHost
  const { apiKey, authToken, oauthToken } = credentials
  if (!apiKey && !authToken && !oauthToken) return out
  delete out['x-api-key']
  delete out.authorization
  if (apiKey) {
    out['x-api-key'] = apiKey
  } else {
    out.authorization = `Bearer ${authToken ?? oauthToken}`
    if (!authToken && oauthToken) {
      const betas = String(out['anthropic-beta'] ?? '').split(',').map((b) => b.trim()).filter(Boolean)
      if (!betas.includes(OAUTH_BETA)) out['anthropic-beta'] = [...betas, OAUTH_BETA].join(',')
    }
  }
  return out
}
