import { Command } from 'commander'
import { runStdioServer } from '@hive/mcp/stdio'
import { env } from '../adapters/env.ts'
import { createLogger } from '../adapters/logger.ts'
import { defaultClaudeBin } from '../adapters/claude-command.ts'
import { runTurnLoop } from './turn-loop.ts'
import { HARNESS_VERSION } from '../adapters/version.ts'

const program = new Command('hive-agent')
  .description('runs inside an agent container: the turn loop and the MCP server claude talks to')
  .version(HARNESS_VERSION)

program
  .command('serve')
  .description('the turn loop: wait for a message, run one claude turn, ack, repeat')
  .action(async () => {
    const log = createLogger('hive-agent')
    const abort = new AbortController()
    // In nspawn, a stop arrives as SIGTERM then SIGHUP (its stub init sends both).
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(sig, () => abort.abort())
    try {
      await runTurnLoop({
        socketPath: env.HIVE_SOCKET,
        stateDir: env.HIVE_STATE_DIR,
        runDir: env.HIVE_RUN_DIR,
        claudeBin: env.HIVE_CLAUDE_BIN ?? defaultClaudeBin(),
        // eslint-disable-next-line no-restricted-properties -- claude inherits the container's env
        claudeEnv: { ...process.env, ENABLE_TOOL_SEARCH: 'false' },
        log,
        signal: abort.signal,
      })
    } catch (e) {
      log.fatal({ err: e }, 'turn loop stopped')
      process.exitCode = 1
    }
  })

program
  .command('mcp')
  .description('stdio MCP server `hyperhive`, relaying tool calls to the agent socket')
  .option('--socket <path>', 'agent socket', env.HIVE_SOCKET)
  .action(async (opts: { socket: string }) => {
    await runStdioServer({ socketPath: opts.socket, version: HARNESS_VERSION })
  })

await program.parseAsync()
