import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { JsonLinesClient } from './json-lines/json-lines-client.ts'
import { managerSurface } from './protocol/agent-ops.ts'
import { createServer } from './server.ts'

/**
 * `hive-agent mcp`: the stdio MCP server `claude` spawns. Every tool call is relayed to the
 * agent's socket; the daemon decides what this identity may do. Never writes to stdout itself.
 */
export async function runStdioServer({ socketPath, version }: { socketPath: string; version: string }): Promise<void> {
  const client = await JsonLinesClient.connect(socketPath, managerSurface)
  const { role } = await client.call('whoami')
  const server = createServer({ role, version, call: client.call.bind(client) })
  const transport = new StdioServerTransport()
  // claude ends our stdin when its turn is over; the socket connection must not keep us alive.
  let closing = false
  const shutdown = () => {
    // server.close() fires transport.onclose again: close once.
    if (closing) return
    closing = true
    client.close()
    void server.close()
  }
  process.stdin.once('end', shutdown)
  transport.onclose = shutdown
  client.onClose(shutdown)
  await server.connect(transport)
}
