import { createHash } from 'node:crypto'

export const ContainerName = {
  /**
   * nixos-container refuses longer names: the host end of a container's veth is `ve-<name>`, and
   * Linux interface names stop at 15 characters.
   */
  MAX_CHARS: 11,
  /** `h-` + the agent's own name when it fits, as the original hyperhive did. */
  SHORT_PREFIX: 'h-',
  /** Characters of the hash in a long name's mapping (base32, 5 bits each: 50 bits). */
  HASH_CHARS: 10,
} as const

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

/**
 * The agent's nixos-container name, stable across restarts and daemons: `h-<name>` for names of up
 * to 9 characters, else `h` + 10 base32 characters of the name's SHA-256. The second character
 * tells the two forms apart (`-` never appears in base32), so a short name cannot take a long
 * name's mapping. Two long names could share a hash (one chance in 2^50 per pair); the runtime
 * refuses a container whose config names another agent rather than share it.
 */
export function containerName(agent: string): string {
  if (ContainerName.SHORT_PREFIX.length + agent.length <= ContainerName.MAX_CHARS) return `${ContainerName.SHORT_PREFIX}${agent}`
  const digest = createHash('sha256').update(agent, 'utf8').digest()
  let bits = 0
  let value = 0
  let out = 'h'
  for (const byte of digest) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5 && out.length <= ContainerName.HASH_CHARS) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
    if (out.length > ContainerName.HASH_CHARS) break
  }
  return out
}
