import { join } from 'node:path'
import { MANAGER_NAME, MCP_HOST_SOCKET_NAME, PTY_RELAY_SOCKET_NAME } from '@hive/mcp'
import { ContainerNet } from '../domain/container-net.ts'
import { refuseOverlongSocketPath } from './unix-socket-path.ts'

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
  /** Where a process-runtime agent's harness hosts its MCP server (its run dir is this one). */
  agentMcpHostSocket(name: string): string {
    return join(this.agentRunDir(name), MCP_HOST_SOCKET_NAME)
  }
  /** Every socket an agent has on the host. */
  agentSockets(name: string): string[] {
    return [this.agentSocket(name), this.agentGatewaySocket(name), this.agentPtySocket(name), this.agentMcpHostSocket(name)]
  }
  /** Refuses a name whose sockets would not fit a unix socket path under this home. */
  checkAgentSockets(name: string): void {
    refuseOverlongSocketPath(`agent name "${name}" is too long for HIVE_HOME ${this.home}`, [...this.agentSockets(name), this.unitLogSocket(name)], (excess) =>
      excess < name.length ? `use a name of at most ${name.length - excess} characters, or a shorter HIVE_HOME` : 'use a shorter HIVE_HOME',
    )
  }
  /** Before the daemon creates anything: its admin socket and the manager's sockets must fit. */
  checkDaemonSockets(): void {
    refuseOverlongSocketPath(`HIVE_HOME ${this.home} is too long`, [this.adminSocket, ...this.agentSockets(MANAGER_NAME)], (excess) =>
      `use a HIVE_HOME of at most ${Buffer.byteLength(this.home, 'utf8') - excess} bytes`,
    )
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
  /** Where systemd sends an agent unit's output, for the daemon to write its rotated log (root only). */
  unitLogSocket(name: string): string {
    return join(this.home, 'run', 'unit-logs', `${name}.sock`)
  }
  agentPidFile(name: string): string {
    return join(this.agentRunDir(name), 'harness.pid')
  }
}
