import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Resident set of a process in MiB (VmRSS), or undefined once it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb === undefined ? undefined : Math.round((Number(kb) / 1024) * 10) / 10
  } catch {
    return undefined // ENOENT: it exited between the listing and the read
  }
}

export interface AgentProcess {
  pid: number
  /** The agent whose socket its environment names. */
  agent: string
  /** `hive-agent serve` itself (not its group leader, claude or a tool). */
  harness: boolean
}

/**
 * Every process that belongs to an agent of the hive at `home`: the agent harness and whatever
 * it started carry `HIVE_SOCKET=<home>/run/agents/<name>/mcp.sock` in their environment.
 */
export function agentProcesses(home: string): AgentProcess[] {
  const prefix = `HIVE_SOCKET=${join(home, 'run', 'agents')}/`
  const found: AgentProcess[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    try {
      const socketVar = readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .find((v) => v.startsWith(prefix))
      if (!socketVar) continue
      const agent = socketVar.slice(prefix.length).split('/')[0] ?? ''
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      const harness = cmdline.some((arg) => arg.endsWith('hive-agent.mjs') || arg.endsWith('hive-agent')) && cmdline.includes('serve') && !cmdline.includes('-c')
      found.push({ pid, agent, harness })
    } catch {
      // EACCES (another user's process) or ENOENT (it exited while we looked): not one of ours.
    }
  }
  return found
}
