import type { TerminalKind } from '@hive/mcp/terminal-frames'
import { PtySession } from './pty-session.ts'

/** What to run for a terminal: the runtime decides (nsenter into a container, a host shell…). */
export interface TerminalSpec {
  argv: string[]
  cwd: string
  env: NodeJS.ProcessEnv
  banner?: string
}

/**
 * The live PTY sessions, one per agent and kind, shared by every viewer. A session leaves the
 * registry when it closes, so the next viewer starts a fresh one.
 */
export class PtyRegistry {
  private readonly sessions = new Map<string, PtySession>()

  constructor(private readonly options: { graceMs?: number } = {}) {}

  open(agent: string, kind: TerminalKind, spec: () => TerminalSpec, size: { cols: number; rows: number }): PtySession {
    const key = `${agent}/${kind}`
    const existing = this.sessions.get(key)
    if (existing) return existing
    const session = new PtySession({ ...spec(), ...size, ...(this.options.graceMs ? { graceMs: this.options.graceMs } : {}) })
    this.sessions.set(key, session)
    session.events.once('closed', () => {
      if (this.sessions.get(key) === session) this.sessions.delete(key)
    })
    return session
  }

  /** Ends every session of an agent (it was stopped or destroyed). */
  closeAgent(agent: string): void {
    for (const [key, session] of this.sessions) if (key.startsWith(`${agent}/`)) session.dispose()
  }

  get size(): number {
    return this.sessions.size
  }

  dispose(): void {
    for (const session of [...this.sessions.values()]) session.dispose()
  }
}
