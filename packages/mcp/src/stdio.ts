import type { Readable, Writable } from 'node:stream'
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
 * One MCP session of the `hyperhive` server over a pair of streams (stdio, or a connection the
 * relay brought): every tool call goes to the agent's socket on a connection of its own; the
 * daemon decides what this identity may do. Only `commit_config` acts here, on the repos this
 * process can already write. Resolves once the session is up; `ended` fires when it is over.
 */
export async function serveMcpSession(input: Readable, output: Writable, { socketPath, version, agentsDir, gitIdentity = {} }: StdioServerOptions, ended: () => void = () => undefined): Promise<void> {
  // The client may leave while we connect: heard before the first await, checked after each.
  let inputGone = input.destroyed || input.readableEnded
  const onInputGone = () => (inputGone = true)
  input.once('end', onInputGone)
  input.once('close', onInputGone)
  const client = await JsonLinesClient.connect(socketPath, managerSurface)
  let whoami: { name: string; role: 'agent' | 'manager' }
  try {
    whoami = await client.call('whoami')
  } catch (err) {
    client.close()
    throw err
  }
  if (inputGone) {
    client.close()
    ended()
    return
  }
  const { name, role } = whoami
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
  const transport = new StdioServerTransport(input, output)
  let closing = false
  const shutdown = () => {
    // server.close() fires transport.onclose again: close once.
    if (closing) return
    closing = true
    client.close()
    void server.close().finally(ended)
  }
  // The client ends its side when its turn is over; the daemon connection must not outlive it.
  input.off('end', onInputGone)
  input.off('close', onInputGone)
  input.once('end', shutdown)
  input.once('close', shutdown)
  transport.onclose = shutdown
  client.onClose(shutdown)
  try {
    await server.connect(transport)
  } catch (err) {
    shutdown()
    throw err
  }
}

/** `hive-agent mcp` without a relay: the stdio MCP server `claude` spawns, in this process. Never writes to stdout itself. */
export async function runStdioServer(options: StdioServerOptions): Promise<void> {
  await serveMcpSession(process.stdin, process.stdout, options)
}
