import { join } from 'node:path'
import { PTY_RELAY_SOCKET_NAME } from '@hive/mcp'
import { ContainerNet } from '../domain/container-net.ts'

/** Names of an agent's files, the same on the host and in its container. */
export const AgentFileNames = {
  /** The agent's durable notes, in its state dir (/state). */
  NOTES: 'notes.md',
  /** The previous notes, kept by the notes compactor. */
  NOTES_BACKUP: 'notes.md.bak',
  /** The agent's config, in its proposed and applied repos. */
  CONFIG: 'agent.json',
} as const

/** Where everything lives under `$HIVE_HOME` (design.md, "State on disk"). */
export class HivePaths {
  constructor(readonly home: string) {}

  get db(): string {
    return join(this.home, 'hive.db')
  }
  get operatorToken(): string {
    return join(this.home, 'operator.token')
  }
  get runDir(): string {
    return join(this.home, 'run')
  }
  get adminSocket(): string {
    return join(this.home, 'run', 'host.sock')
  }
  get logsDir(): string {
    return join(this.home, 'logs')
  }
  agentRunDir(name: string): string {
    return join(this.home, 'run', 'agents', name)
  }
  agentSocket(name: string): string {
    return join(this.agentRunDir(name), 'mcp.sock')
  }
  /** Where the agent's payload connects back with the terminals it spawns (nspawn). */
  agentPtySocket(name: string): string {
    return join(this.agentRunDir(name), PTY_RELAY_SOCKET_NAME)
  }
  /** The agent's model gateway and egress proxy (see transports/gateway). */
  agentGatewaySocket(name: string): string {
    return join(this.agentRunDir(name), ContainerNet.GATEWAY_SOCKET)
  }
  agentDir(name: string): string {
    return join(this.home, 'agents', name)
  }
  agentStateDir(name: string): string {
    return join(this.agentDir(name), 'state')
  }
  agentNotes(name: string): string {
    return join(this.agentStateDir(name), AgentFileNames.NOTES)
  }
  agentClaudeDir(name: string): string {
    return join(this.agentDir(name), 'claude')
  }
  agentConfigRepo(name: string): string {
    return join(this.agentDir(name), 'config')
  }
  appliedRepo(name: string): string {
    return join(this.home, 'applied', name)
  }
  appliedConfig(name: string): string {
    return join(this.appliedRepo(name), AgentFileNames.CONFIG)
  }
  agentLog(name: string): string {
    return join(this.logsDir, `${name}.log`)
  }
  agentPidFile(name: string): string {
    return join(this.agentRunDir(name), 'harness.pid')
  }
}
