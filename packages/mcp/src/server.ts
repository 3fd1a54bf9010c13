import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { registerAgentTools } from './tools/agent-tools.ts'
import { registerManagerTools, type CommitConfig } from './tools/manager-tools.ts'
import type { HiveCall } from './tools/tool-call.ts'

export const MCP_SERVER_NAME = 'hyperhive'

export interface ServerDeps {
  role: 'agent' | 'manager'
  call: HiveCall
  version: string
  /** The manager's `commit_config` (Node-only, built in stdio.ts); unused for other roles. */
  commitConfig: CommitConfig
}

/** Side-effect free: builds the `hyperhive` MCP server for a role; the caller connects a transport. */
export function createServer({ role, call, version, commitConfig }: ServerDeps): McpServer {
  const server = new McpServer({ name: MCP_SERVER_NAME, version })
  registerAgentTools(server, call)
  if (role === 'manager') registerManagerTools(server, call, commitConfig)
  return server
}

/** Tool names a role's `claude` is allowed to call, as `mcp__hyperhive__<tool>`. */
export function mcpToolNames(role: 'agent' | 'manager'): string[] {
  const agent = ['send', 'recv']
  const manager = ['kill', 'start', 'restart', 'update', 'request_spawn', 'commit_config', 'request_apply_commit', 'ask_operator']
  return (role === 'manager' ? [...agent, ...manager] : agent).map((t) => `mcp__${MCP_SERVER_NAME}__${t}`)
}
