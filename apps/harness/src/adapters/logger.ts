import { pino, type Logger } from 'pino'
import { env } from './env.ts'

/**
 * Structured logs on stderr (stdout belongs to CLI output and, for `hive-agent mcp`, to the MCP
 * protocol itself).
 */
export function createLogger(name: string): Logger {
  return pino({ name, level: env.LOG_LEVEL }, pino.destination(2))
}
