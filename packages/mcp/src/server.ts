import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { registerAgentTools } from './tools/agent-tools.ts'
import { registerManagerTools, type CommitConfig } from './tools/manager-tools.ts'
import type { HiveCall } from './tools/tool-call.ts'
import { MCP_SERVER_NAME } from './protocol/tool-names.ts'

interface ServerDeps {
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
