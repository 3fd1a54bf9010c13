import type { EventEmitter } from 'node:events'
import type { TerminalKind } from '@hive/mcp/terminal-frames'
import type { TerminalSpec } from '../pty/pty-registry.ts'

type RuntimeKind = 'process' | 'nspawn' | 'nixos-container'
export type ContainerState = 'running' | 'stopped' | 'failed'

export interface AgentLaunch {
  name: string
  role: 'agent' | 'manager'
  /** First host uid of the agent's user-namespace range (isolating runtimes). */
  uidBase: number | null
  /** The manager's uid base: it owns every agent's proposed config repo (isolating runtimes). */
  configOwnerUid: number | null
}

export interface ContainerExit {
  name: string
  code: number | null
  signal: string | null
  /** False when the daemon did not ask for it: a crash. */
  expected: boolean
  /** What killed it, when the runtime can tell (e.g. "killed: out of memory (limit 256 MB)"). */
  reason?: string
  /** systemd's `Result` of the agent's unit (`signal`, `exit-code`, `oom-kill`…), under systemd only. */
  result?: string
}

export interface ContainerRuntimeEvents {
  exit: [ContainerExit]
  started: [string]
}

/** One agent container's lifecycle, whatever isolates it (design.md, "Containers"). */
export interface ContainerRuntime {
  readonly kind: RuntimeKind
  /** False for `process`: every listing shows UNISOLATED. */
  readonly isolated: boolean
  readonly events: EventEmitter<ContainerRuntimeEvents>
  start(agent: AgentLaunch): Promise<void>
  stop(name: string): Promise<void>
  status(name: string): ContainerState
  /** What a terminal of this kind runs for the agent: its shell, or `claude --continue`. */
  terminal(name: string, kind: TerminalKind): TerminalSpec
  /** Purge: drops what the runtime built for the agent outside HIVE_HOME (nixos-container's container). */
  remove?(name: string): Promise<void>
  /** Stops every container this runtime started (daemon shutdown). */
  dispose(): Promise<void>
}
