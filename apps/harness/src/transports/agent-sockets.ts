import type { Logger } from 'pino'
import { HiveError, HiveErrorCode } from '@hive/mcp'
import { JsonLinesServer, type RequestHandler } from '@hive/mcp/node'
import type { HivePaths } from '../adapters/hive-paths.ts'
import type { PtyRelay } from '../adapters/pty/pty-relay.ts'
import { agentOperations, managerOperations } from '../operations/agent-operations.ts'
import type { HiveServices } from '../operations/hive-services.ts'
import { dispatch } from '../operations/operation.ts'
import type { AgentSocketHost } from '../services/agent-lifecycle.ts'
import type { ModelGateway } from './gateway/model-gateway.ts'

const managerSurface = { ...agentOperations, ...managerOperations }

/**
 * Serves one agent's socket. The socket is the identity: `name` and `role` are fixed here, never
 * taken from the request, so a sub-agent cannot act as the manager or as another agent.
 */
function createAgentSocketHandler(services: HiveServices, name: string, role: 'agent' | 'manager'): RequestHandler {
  return (op, args, { signal }) => {
    const caller = { name, role, signal }
    if (role === 'manager') return dispatch(managerSurface, services, op, args, caller)
    if (Object.hasOwn(managerOperations, op)) {
      throw new HiveError(HiveErrorCode.Forbidden, `${op} is a manager tool; agent "${name}" may not call it`)
    }
    return dispatch(agentOperations, services, op, args, caller)
  }
}

/**
 * Every agent's socket, `run/agents/<name>/mcp.sock`. The handlers are bound once the services
 * exist (`serve`): the manager's socket reaches the lifecycle, which opens these sockets.
 */
export class AgentSockets implements AgentSocketHost {
  private readonly servers = new Map<string, JsonLinesServer>()
  private services: HiveServices | undefined

  constructor(
    private readonly paths: HivePaths,
    private readonly log: Logger,
    /** Each agent's model gateway socket comes and goes with its MCP socket. */
    private readonly gateway: ModelGateway,
    /** So does its pty.sock, where its payload connects back with the terminals it spawns (nspawn). */
    private readonly ptyRelay: Pick<PtyRelay, 'listen' | 'close' | 'closeAll'>,
  ) {}

  serve(services: HiveServices): void {
    this.services = services
  }

  async open(name: string, role: 'agent' | 'manager'): Promise<void> {
    if (this.servers.has(name)) return
    if (!this.services) throw new Error('AgentSockets.open before serve(): the composition root must bind the services first')
    // Spawn checked already; this catches a HIVE_HOME moved somewhere longer since (boot, revive).
    this.paths.checkAgentSockets(name)
    const handler = createAgentSocketHandler(this.services, name, role)
    this.servers.set(name, await JsonLinesServer.listen(this.paths.agentSocket(name), 0o600, handler, this.log.child({ socket: name })))
    await this.gateway.open(name, this.paths.agentGatewaySocket(name))
    await this.ptyRelay.listen(name)
  }

  async close(name: string): Promise<void> {
    await this.gateway.close(name)
    await this.ptyRelay.close(name)
    await this.servers.get(name)?.close()
    this.servers.delete(name)
  }

  async closeAll(): Promise<void> {
    await this.gateway.closeAll()
    await this.ptyRelay.closeAll()
    await Promise.all([...this.servers.values()].map((s) => s.close()))
    this.servers.clear()
  }
}
