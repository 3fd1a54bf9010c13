/** Names that always reach a daemon listening on loopback. */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]']

/** A Host header value: a name or IP literal and an optional port, nothing else (no userinfo, path). */
const HOST_HEADER = /^(\[[0-9a-fA-F:.]+\]|[^\s@/\\?#[\]:]+)(:\d{1,5})?$/

/** The hostname part of `name` (a Host header or a configured name), lower-cased; IPv6 in brackets. */
function hostnameOf(name: string): string | undefined {
  if (!HOST_HEADER.test(name)) return undefined
  try {
    return new URL(`http://${name}`).hostname
  } catch {
    return undefined // not a hostname URL accepts (e.g. a malformed IPv6 literal)
  }
}

/**
 * The hostnames a request may name in its Host header: loopback, the bind address and the
 * operator's public names. Anything else is a DNS-rebinding page or a misrouted request.
 */
export function allowedHostnames(bindHost: string, publicHosts: readonly string[]): ReadonlySet<string> {
  const bind = bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost
  const names = [...LOOPBACK_NAMES, bind, ...publicHosts].map(hostnameOf)
  return new Set(names.filter((n): n is string => n !== undefined))
}

/** Whether the Host header names this daemon (a missing one never does). */
export function isAllowedHost(host: string | undefined, allowed: ReadonlySet<string>): boolean {
  const hostname = host === undefined ? undefined : hostnameOf(host)
  return hostname !== undefined && allowed.has(hostname)
}
