import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { JsonLinesClient } from './json-lines/json-lines-client.ts'
import { managerSurface } from './protocol/agent-ops.ts'
import { createServer } from './server.ts'
import { createConfigCommitter, type GitIdentity } from './tools/config-commit.ts'

export interface StdioServerOptions {
  socketPath: string
  version: string
  /** Every agent's dir, for the manager's `commit_config` (`/agents` in its container). */
  agentsDir?: string
  /** Overrides of the config commits' author and committer; default `<name> <name@hive>`. */
  gitIdentity?: Partial<GitIdentity>
}

/**
 * `hive-agent mcp`: the stdio MCP server `claude` spawns. Every tool call is relayed to the
 * agent's socket; the daemon decides what this identity may do. Only `commit_config` acts here,
 * on the repos this process can already write. Never writes to stdout itself.
 */
export async function runStdioServer({ socketPath, version, agentsDir, gitIdentity = {} }: StdioServerOptions): Promise<void> {
  const client = await JsonLinesClient.connect(socketPath, managerSurface)
  const { name, role } = await client.call('whoami')
  const commitConfig = createConfigCommitter({
    agentsDir,
    identity: {
      authorName: gitIdentity.authorName ?? name,
      authorEmail: gitIdentity.authorEmail ?? `${name}@hive`,
      committerName: gitIdentity.committerName ?? name,
      committerEmail: gitIdentity.committerEmail ?? `${name}@hive`,
    },
  })
  const server = createServer({ role, version, call: client.call.bind(client), commitConfig })
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
