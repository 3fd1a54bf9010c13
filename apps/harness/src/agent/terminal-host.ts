import * as pty from 'node-pty'
import type { Logger } from 'pino'
import { PtyRelayLimits, type TerminalRequest } from '@hive/mcp'
import type { TerminalKind } from '@hive/mcp/terminal-frames'
import type { PtySpawn } from '../adapters/pty/pty-session.ts'
import { RelayedTerminal, type TerminalCommand } from './relayed-terminal.ts'

/** A shell's environment: the payload's basics, none of its model credentials. */
const SHELL_ENV_NAMES = ['PATH', 'HOME', 'LANG', 'CLAUDE_CONFIG_DIR'] as const

interface TerminalHostOptions {
  /** pty.sock, beside the agent's mcp.sock. */
  socketPath: string
  stateDir: string
  claudeBin: string
  /** The payload's environment, as its turns' `claude` gets it. */
  env: NodeJS.ProcessEnv
  log: Logger
  /** Default node-pty's `spawn`. */
  spawn?: PtySpawn
}

/**
 * The terminals the operator opened on this agent (nspawn), spawned here in the payload so they
 * run under its seccomp filter, no_new_privs, cgroup, namespaces and capabilities, and relayed
 * to the daemon over pty.sock. At most `PtyRelayLimits.MAX_TERMINALS_PER_AGENT` at once.
 */
export class TerminalHost {
  private readonly terminals = new Set<RelayedTerminal>()
  private disposed = false

  constructor(private readonly opts: TerminalHostOptions) {}

  /** A `control_wait` brought a terminal request: connect back and start it. */
  open(request: TerminalRequest): void {
    if (this.disposed) return
    const { socketPath, log } = this.opts
    const full = this.terminals.size >= PtyRelayLimits.MAX_TERMINALS_PER_AGENT
    if (full) log.warn({ terminal: request.id, open: this.terminals.size }, 'refusing a terminal: too many open')
    const terminal = new RelayedTerminal({
      request,
      socketPath,
      command: this.command(request.kind),
      ...(full ? { refusal: `agent already has ${this.terminals.size} terminals open (at most ${PtyRelayLimits.MAX_TERMINALS_PER_AGENT})` } : {}),
      spawn: this.opts.spawn ?? pty.spawn,
      log,
    })
    this.terminals.add(terminal)
    terminal.events.once('closed', () => this.terminals.delete(terminal))
  }

  dispose(): void {
    this.disposed = true
    for (const terminal of this.terminals) terminal.dispose()
  }

  private command(kind: TerminalKind): TerminalCommand {
    const { env, stateDir, claudeBin } = this.opts
    if (kind === 'claude') return { file: claudeBin, args: ['--continue'], cwd: stateDir, env: { ...env, TERM: 'xterm-256color' } }
    const basics = Object.fromEntries(SHELL_ENV_NAMES.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])))
    return { file: '/bin/bash', args: ['--login'], cwd: stateDir, env: { ...basics, TERM: 'xterm-256color' } }
  }
}
