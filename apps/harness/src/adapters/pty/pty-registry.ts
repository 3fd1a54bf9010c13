import type { TerminalKind } from '@hive/mcp/terminal-frames'
import { PtySession, type PtySpawn } from './pty-session.ts'

/** What to run for a terminal: the runtime decides (the container's payload, a host shell…). */
export interface TerminalSpec {
  argv: string[]
  cwd: string
  env: NodeJS.ProcessEnv
  banner?: string
  /**
   * Starts the terminal instead of a local node-pty: under nspawn the payload spawns it and
   * relays it (remote-pty.ts), and argv, cwd and env say what it runs there. Its exit follows
   * all of its output, so the session runs no exit sentinel.
   */
  spawn?: PtySpawn
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
    const terminal = spec()
    const session = new PtySession({
      ...terminal,
      ...size,
      exitSentinel: terminal.spawn === undefined,
      ...(this.options.graceMs ? { graceMs: this.options.graceMs } : {}),
    })
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
