/**
 * Host uid ranges for user-namespaced containers: 65536 ids per agent, from 0x24000000 up, clear of
 * Debian's /etc/subuid allocations (100000–600100000) and inside systemd's container range
 * (reference/nspawn-userns.md §1). Container root is `base` on the host, never uid 0.
 */
export const UidRange = {
  FIRST_BASE: 0x24000000,
  SIZE: 0x10000,
  LAST_BASE: 0x6fff0000,
} as const

/** The lowest free base; `taken` are the bases already recorded (tombstones included). */
export function allocateUidBase(taken: Iterable<number | null>): number {
  const used = new Set(taken)
  for (let base: number = UidRange.FIRST_BASE; base <= UidRange.LAST_BASE; base += UidRange.SIZE) {
    if (!used.has(base)) return base
  }
  throw new Error('no free uid range left for another agent')
}
