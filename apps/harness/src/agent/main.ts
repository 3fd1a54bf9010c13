import { Command } from 'commander'
import { env } from '../adapters/env.ts'
import { HARNESS_VERSION } from '../adapters/version.ts'

// Each command loads only its own modules: claude starts `hive-agent mcp` on every turn, and it
// must not pay for the turn loop, the terminals or the logger.
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
  .action(async (opts: { socket: string }) => {
    const { runStdioServer } = await import('@hive/mcp/stdio')
    await runStdioServer({
      socketPath: opts.socket,
      version: HARNESS_VERSION,
      agentsDir: env.HIVE_AGENTS_DIR,
      gitIdentity: {
        authorName: env.GIT_AUTHOR_NAME,
        authorEmail: env.GIT_AUTHOR_EMAIL,
        committerName: env.GIT_COMMITTER_NAME,
        committerEmail: env.GIT_COMMITTER_EMAIL,
      },
    })
  })

await program.parseAsync()
