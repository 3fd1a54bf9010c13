import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { registerAgentTools } from './tools/agent-tools.ts'
import { registerManagerTools } from './tools/manager-tools.ts'
import type { HiveCall } from './tools/tool-call.ts'

export const MCP_SERVER_NAME = 'hyperhive'

export interface ServerDeps {
  role: 'agent' | 'manager'
  call: HiveCall
  version: string
}

/** Side-effect free: builds the `hyperhive` MCP server for a role; the caller connects a transport. */
export function createServer({ role, call, version }: ServerDeps): McpServer {
  const server = new McpServer({ name: MCP_SERVER_NAME, version })
  registerAgentTools(server, call)
  if (role === 'manager') registerManagerTools(server, call)
  return server
}

/** Tool names a role's `claude` is allowed to call, as `mcp__hyperhive__<tool>`. */
export function mcpToolNames(role: 'agent' | 'manager'): string[] {
  const agent = ['send', 'recv']
  const manager = ['kill', 'start', 'restart', 'update', 'request_spawn', 'request_apply_commit', 'ask_operator']
  return (role === 'manager' ? [...agent, ...manager] : agent).map((t) => `mcp__${MCP_SERVER_NAME}__${t}`)
}
