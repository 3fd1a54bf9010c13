/**
 * Addresses an agent's egress may never reach, even when its agent.json lists them: the host
 * itself, private networks, link-local (cloud metadata at 169.254.169.254 included). Pure string
 * logic over what `dns.lookup` returns, so the decision is made on the address actually dialled.
 */

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

/** [first address, prefix length, why] */
const FORBIDDEN_V4: readonly [number, number, string][] = [
  [ip4(0, 0, 0, 0), 8, 'this network (0.0.0.0/8)'],
  [ip4(10, 0, 0, 0), 8, 'private network (RFC 1918)'],
  [ip4(100, 64, 0, 0), 10, 'carrier-grade NAT (100.64.0.0/10)'],
  [ip4(127, 0, 0, 0), 8, 'loopback'],
  [ip4(169, 254, 0, 0), 16, 'link-local (cloud metadata)'],
  [ip4(172, 16, 0, 0), 12, 'private network (RFC 1918)'],
  [ip4(192, 168, 0, 0), 16, 'private network (RFC 1918)'],
  [ip4(224, 0, 0, 0), 4, 'multicast'],
  [ip4(240, 0, 0, 0), 4, 'reserved'],
]

function ip4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0
}

function parseV4(address: string): number | undefined {
  const m = IPV4.exec(address)
  if (!m) return undefined
  const parts = m.slice(1).map(Number)
  if (parts.some((p) => p > 255)) return undefined
  const [a = 0, b = 0, c = 0, d = 0] = parts
  return ip4(a, b, c, d)
}

function v4Reason(address: number): string | undefined {
  for (const [base, bits, why] of FORBIDDEN_V4) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0
    if ((address & mask) >>> 0 === base) return why
  }
  return undefined
}

/** Expands an IPv6 literal to 8 groups; undefined when it is not one. */
function parseV6(address: string): number[] | undefined {
  let text = address.toLowerCase().replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  // A dotted IPv4 tail (::ffff:1.2.3.4) is the last two groups.
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text)?.[1]
  if (dotted) {
    const n = parseV4(dotted)
    if (n === undefined) return undefined
    text = `${text.slice(0, -dotted.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)))
  const head = groups(halves[0] ?? '')
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : []
  const gap = 8 - head.length - tail.length
  if (halves.length === 1 ? gap !== 0 : gap < 1) return undefined
  const all = [...head, ...Array<number>(halves.length === 2 ? gap : 0).fill(0), ...tail]
  return all.every((g) => Number.isInteger(g)) ? all : undefined
}

function v6Reason(g: number[]): string | undefined {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0)
  if (zeroTo(7) && g7 === 1) return 'loopback'
  if (zeroTo(8)) return 'unspecified address'
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible forms reach the IPv4 address.
  if (zeroTo(5) && (g5 === 0xffff || g5 === 0)) return v4Reason(((g6 << 16) | g7) >>> 0)
  // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return v4Reason(((g6 << 16) | g7) >>> 0)
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local'
  if ((g0 & 0xfe00) === 0xfc00) return 'unique local (private) network'
  if ((g0 & 0xff00) === 0xff00) return 'multicast'
  return undefined
}

/** Why an agent may not reach this IP address; undefined when it may. Unparseable → refused. */
export function forbiddenAddressReason(address: string): string | undefined {
  const v4 = parseV4(address)
  if (v4 !== undefined) return v4Reason(v4)
  const v6 = parseV6(address)
  if (v6 !== undefined) return v6Reason(v6)
  return 'not an IP address'
}
