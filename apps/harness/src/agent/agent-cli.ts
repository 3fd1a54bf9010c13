import { Command } from 'commander'
import { env } from '../adapters/env.ts'
import { HARNESS_VERSION } from '../adapters/version.ts'
import { mcpServerOptions } from './mcp-options.ts'
import { relayStdio } from './mcp-relay.ts'

/**
 * `hive-agent`'s commands. Each loads only its own modules: `mcp` without a relay must not pay
 * for the turn loop, the terminals or the logger.
 */
export async function runAgentCli(): Promise<void> {
  const program = new Command('hive-agent')
    .description('runs inside an agent container: the turn loop and the MCP server claude talks to')
    .version(HARNESS_VERSION)

  program
    .command('serve')
    .description('the turn loop: wait for a message, run one claude turn, ack, repeat')
    .action(async () => {
      const { serveAgent } = await import('./serve-command.ts')
      await serveAgent()
    })

  program
    .command('mcp')
    .description('stdio MCP server `hyperhive`, relaying tool calls to the agent socket')
    .option('--socket <path>', 'agent socket', env.HIVE_SOCKET)
    .option('--relay <path>', 'pipe stdio to the MCP server `hive-agent serve` hosts at this socket')
    .action(async (opts: { socket: string; relay?: string }) => {
      if (opts.relay !== undefined) return relayStdio(opts.relay)
      const { runStdioServer } = await import('@hive/mcp/stdio')
      await runStdioServer(mcpServerOptions(opts.socket))
    })

  await program.parseAsync()
}
