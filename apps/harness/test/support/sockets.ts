import { join } from 'node:path'
import { adminOps, JsonLinesClient, managerSurface } from '@hive/mcp'

/** `run/host.sock` of a daemon home: the operator's socket. */
export const adminSocketPath = (home: string): string => join(home, 'run', 'host.sock')
/** `run/agents/<name>/mcp.sock`: whoever connects is that agent. */
export const agentSocketPath = (home: string, name: string): string => join(home, 'run', 'agents', name, 'mcp.sock')

/** The operator's socket, typed by the admin operations. */
export const connectAdmin = (home: string) => JsonLinesClient.connect(adminSocketPath(home), adminOps)
/** An agent's socket as that agent (manager ops are refused unless it is the manager). */
export const connectAgent = (home: string, name: string) => JsonLinesClient.connect(agentSocketPath(home, name), managerSurface)
