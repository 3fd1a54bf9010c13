import type { StdioServerOptions } from '@hive/mcp/stdio'
import { env } from '../adapters/env.ts'
import { HARNESS_VERSION } from '../adapters/version.ts'

/** The `hyperhive` MCP server's settings, the same whether `hive-agent mcp` or `hive-agent serve` hosts it. */
export function mcpServerOptions(socketPath: string): StdioServerOptions {
  return {
    socketPath,
    version: HARNESS_VERSION,
    agentsDir: env.HIVE_AGENTS_DIR,
    gitIdentity: {
      authorName: env.GIT_AUTHOR_NAME,
      authorEmail: env.GIT_AUTHOR_EMAIL,
      committerName: env.GIT_COMMITTER_NAME,
      committerEmail: env.GIT_COMMITTER_EMAIL,
    },
  }
}
