import type { LookupAddress } from 'node:dns'
import { lookup as dnsLookup } from 'node:dns/promises'
import { connect, isIP, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { forbiddenAddressReason } from '../../domain/egress-address.ts'

const Egress = {
  /** A CONNECT whose target does not answer in this time is refused. */
  CONNECT_TIMEOUT_MS: 10_000,
  /** An idle tunnel is closed. */
  IDLE_TIMEOUT_MS: 10 * 60_000,
} as const

type Lookup = (host: string) => Promise<LookupAddress[]>

export interface EgressPolicy {
  /** `host:port` entries the agent may reach (its agent.json `egress` plus the CLI's own hosts). */
  allowed(agent: string): readonly string[]
  /** This host (the daemon listens on some of its addresses): never a destination. */
  host: { addresses: () => readonly string[] }
  lookup?: Lookup
}

export type EgressDecision = { ok: true; address: string; port: number } | { ok: false; reason: string }

const defaultLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true })

/** `host:port` of a CONNECT (or of an absolute-form URL), lowercased; undefined when malformed. */
export function parseTarget(target: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/.exec(target)
  const port = Number(m?.[2])
  if (!m?.[1] || !(port >= 1 && port <= 65535)) return undefined
  return { host: m[1].toLowerCase(), port }
}

/**
 * Decides on one egress target: listed for this agent, and every address it resolves to is a
 * public one that is not the daemon. The address returned is the one to dial (no second lookup,
 * so a DNS answer cannot change between the check and the connection).
 */
export async function decideEgress(agent: string, host: string, port: number, policy: EgressPolicy): Promise<EgressDecision> {
  const target = `${host}:${port}`
  if (!policy.allowed(agent).some((entry) => entry.toLowerCase() === target)) {
    return { ok: false, reason: `${target} is not in ${agent}'s egress allow-list (agent.json "egress")` }
  }
  const bare = host.replace(/^\[|\]$/g, '')
  let addresses: string[]
  if (isIP(bare)) {
    addresses = [bare]
  } else {
    try {
      addresses = (await (policy.lookup ?? defaultLookup)(host)).map((a) => a.address)
    } catch (e) {
      return { ok: false, reason: `${host} does not resolve (${(e as NodeJS.ErrnoException).code ?? 'lookup failed'})` }
    }
  }
  if (addresses.length === 0) return { ok: false, reason: `${host} does not resolve` }
  for (const address of addresses) {
    const why = forbiddenAddressReason(address)
    if (why) return { ok: false, reason: `${target} resolves to ${address}: ${why}, never reachable from an agent` }
    // The host's own addresses: its services (the daemon included) are not egress, on any port.
    const plain = address.replace(/^::ffff:/i, '')
    if (policy.host.addresses().some((own) => own.replace(/^::ffff:/i, '') === plain)) {
      return { ok: false, reason: `${target} is this host (${address}), never reachable from an agent` }
    }
  }
  return { ok: true, address: addresses[0] ?? bare, port }
}

/** Opens the tunnel of an accepted CONNECT: `200`, then bytes both ways until either side ends. */
export function tunnel(client: Duplex, head: Buffer, address: string, port: number, onFail: (reason: string) => void): void {
  const upstream: Socket = connect({ host: address, port })
  let connected = false
  upstream.setTimeout(Egress.CONNECT_TIMEOUT_MS, () => upstream.destroy(new Error(connected ? 'idle' : 'connect timed out')))
  upstream.once('connect', () => {
    connected = true
    upstream.setTimeout(Egress.IDLE_TIMEOUT_MS)
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    if (head.length) upstream.write(head)
    upstream.pipe(client)
    client.pipe(upstream)
  })
  upstream.once('error', (e) => {
    if (connected) {
      client.destroy()
      return
    }
    onFail(`cannot reach ${address}:${port}: ${e.message}`)
    refuse(client, `cannot reach ${address}:${port}: ${e.message}`)
  })
  client.once('error', () => upstream.destroy())
  client.once('close', () => upstream.destroy())
}

/** Answers a refused CONNECT and closes it. */
export function refuse(client: Duplex, reason: string): void {
  const body = `hive egress refused: ${reason}\n`
  // The HTTP server's sockets are half-open by default: close for good once the answer is out.
  client.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`, () => client.destroy())
}
