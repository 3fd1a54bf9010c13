import { pino, type Logger } from 'pino'
import { env } from './env.ts'

/**
 * Structured logs on stderr (stdout belongs to CLI output and, for `hive-agent mcp`, to the MCP
 * protocol itself).
 */
export function createLogger(name: string): Logger {
  // Sync: an agent's stderr is a pipe to the daemon (its rotating log). If the daemon dies, the
  // async destination's exit flush retries EPIPE forever and the agent never exits; the sync one
  // turns logging into a no-op at the first EPIPE (pino's filterBrokenPipe).
  return pino({ name, level: env.LOG_LEVEL }, pino.destination({ dest: 2, sync: true }))
}
