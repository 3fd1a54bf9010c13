import { relayPathOf, relayStdio } from './mcp-relay.ts'

// claude starts `hive-agent mcp --relay <path>` on every turn: that path loads nothing else (no
// commander, no zod), the rest of the CLI is a chunk of its own.
const relay = relayPathOf(process.argv.slice(2))
if (relay !== undefined) {
  relayStdio(relay)
} else {
  const { runAgentCli } = await import('./agent-cli.ts')
  await runAgentCli()
}
