import { readdirSync, readFileSync } from 'node:fs'
import { readHiveDb } from './hive-db.ts'

export interface HiveProcess {
  pid: number
  cmdline: string
}

/** The user-namespace size of a container (UidRange.SIZE). */
const UID_RANGE = 0x10000

/** Host uid bases of a hive's containers, from its database (none under the process runtime). */
export function uidBasesOf(home: string): number[] {
  return readHiveDb(home, (db) => db.prepare<[], { uidBase: number | null }>('SELECT uidBase FROM "Agent"').all()).flatMap((r) => (r.uidBase === null ? [] : [r.uidBase]))
}

/**
 * Every live process of one hive, found the way an operator would: its home in the environment or
 * command line (npm, the daemon, process-runtime agents, their claude and MCP servers, nspawn), or
 * a host uid inside one of its containers' ranges (everything in a container, escaped or not).
 */
export function hiveProcesses(home: string, uidBases: readonly number[] = []): HiveProcess[] {
  const found: HiveProcess[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue // exited, not yet reaped
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8')
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1])
      const inContainer = uidBases.some((base) => uid >= base && uid < base + UID_RANGE)
      if (inContainer || cmdline.includes(home) || environ.includes(home)) found.push({ pid: Number(entry), cmdline })
    } catch {
      // exited meanwhile
    }
  }
  return found
}
