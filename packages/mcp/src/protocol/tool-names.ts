/**
 * In the agent's run dir (its container's tmpfs; the host's run/agents/<name>/ for the process
 * runtime): where `hive-agent mcp --relay` finds the MCP server `hive-agent serve` hosts.
 */
export const MCP_HOST_SOCKET_NAME = 'mcp-host.sock'

/** The MCP server claude sees in every agent: its tools are `mcp__hyperhive__<tool>`. */
export const MCP_SERVER_NAME = 'hyperhive'

/** Tool names a role's `claude` is allowed to call, as `mcp__hyperhive__<tool>`. */
export function mcpToolNames(role: 'agent' | 'manager'): string[] {
  const agent = ['send', 'recv']
  const manager = ['kill', 'start', 'restart', 'update', 'request_spawn', 'commit_config', 'request_apply_commit', 'ask_operator']
  return (role === 'manager' ? [...agent, ...manager] : agent).map((t) => `mcp__${MCP_SERVER_NAME}__${t}`)
}
