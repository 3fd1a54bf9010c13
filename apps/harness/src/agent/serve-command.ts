import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { MCP_HOST_SOCKET_NAME, PTY_RELAY_SOCKET_NAME } from '@hive/mcp'
import { hostMcpServer } from '@hive/mcp/mcp-host'
import { env } from '../adapters/env.ts'
import { createLogger } from '../adapters/logger.ts'
import { defaultClaudeBin } from '../adapters/claude-command.ts'
import { mcpServerOptions } from './mcp-options.ts'
import { startModelForwarder } from './model-forwarder.ts'
import { runTurnLoop } from './turn-loop.ts'
import { TerminalHost } from './terminal-host.ts'

const Serve = {
  /** ms an ended agent waits for its last handles to close by themselves before it exits anyway. */
  EXIT_GRACE_MS: 3_000,
} as const

/** `hive-agent serve`: the turn loop, the model forwarder (isolated runtimes) and the terminals. */
export async function serveAgent(): Promise<void> {
  const log = createLogger('hive-agent')
  const abort = new AbortController()
  // In nspawn, a stop arrives as SIGTERM then SIGHUP (its stub init sends both).
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(sig, () => abort.abort())
  // Isolated containers reach the model only through the gateway socket.
  const forwarder = env.HIVE_GATEWAY_SOCKET ? await startModelForwarder(env.HIVE_FORWARDER_PORT, env.HIVE_GATEWAY_SOCKET) : undefined
  abort.signal.addEventListener('abort', () => forwarder?.close(), { once: true })
  const claudeBin = env.HIVE_CLAUDE_BIN ?? defaultClaudeBin()
  // eslint-disable-next-line no-restricted-properties -- claude inherits the container's env
  const claudeEnv = { ...process.env, ENABLE_TOOL_SEARCH: 'false' }
  // The operator's terminals (nspawn) run here, in the payload, relayed over pty.sock.
  const terminals = new TerminalHost({
    socketPath: join(dirname(env.HIVE_SOCKET), PTY_RELAY_SOCKET_NAME),
    stateDir: env.HIVE_STATE_DIR,
    claudeBin,
    env: claudeEnv,
    log,
  })
  // claude's MCP server for every turn, hosted here once; each turn's `hive-agent mcp` only relays to it.
  const mcpRelaySocket = join(env.HIVE_RUN_DIR, MCP_HOST_SOCKET_NAME)
  mkdirSync(env.HIVE_RUN_DIR, { recursive: true, mode: 0o700 })
  const mcpHost = await hostMcpServer(
    mcpRelaySocket,
    mcpServerOptions(env.HIVE_SOCKET),
    (err) => log.warn({ err }, 'an MCP session failed'),
    (err) => {
      // A turn without its tools would ack its message unhandled: exit, and the message is redelivered.
      log.fatal({ err }, 'the MCP server cannot be loaded (rebuilt under this process?); exiting')
      process.exit(1)
    },
  )
  try {
    await runTurnLoop({
      mcpRelaySocket,
      socketPath: env.HIVE_SOCKET,
      stateDir: env.HIVE_STATE_DIR,
      runDir: env.HIVE_RUN_DIR,
      claudeBin,
      claudeEnv,
      log,
      signal: abort.signal,
      onDaemonGone: () => {
        if (abort.signal.aborted) return
        log.warn('the connection to the daemon closed: stopping this agent (and its container)')
        process.exitCode = 1
        abort.abort()
      },
      terminals,
    })
  } catch (e) {
    log.fatal({ err: e }, 'turn loop stopped')
    process.exitCode = 1
  } finally {
    abort.abort()
    mcpHost.close()
    // Open terminals would keep the process, and so the container, alive.
    terminals.dispose()
  }
  // Whatever handle is still open (a client of the forwarder, a terminal's socket) must not keep
  // an orphaned agent, and its container, alive.
  setTimeout(() => process.exit(), Serve.EXIT_GRACE_MS).unref()
}
