import { connect } from 'node:net'

/**
 * `hive-agent mcp --relay <path>`: the stdio MCP server claude starts on every turn, as a pipe to
 * the one `hive-agent serve` hosts (@hive/mcp/mcp-host). It loads nothing but node:net, so
 * claude's MCP handshake waits for little more than Node's own start.
 */
export function relayStdio(path: string): void {
  const socket = connect(path)
  socket.once('error', (err) => {
    process.stderr.write(`hive-agent mcp: cannot reach the MCP server of hive-agent serve at ${path}: ${err.message}\n`)
    process.exit(1)
  })
  socket.once('connect', () => {
    process.stdin.pipe(socket)
    socket.pipe(process.stdout)
  })
  // claude gone (stdout closed) or the session over (socket closed): nothing left to relay.
  process.stdout.once('error', () => process.exit(0))
  socket.once('close', () => process.exit(0))
}

/** The relay's socket when argv is exactly `mcp --relay <path>` (or `--relay=<path>`), the form the MCP config uses. */
export function relayPathOf(argv: readonly string[]): string | undefined {
  const [command, flag, value] = argv
  if (command !== 'mcp') return undefined
  if (argv.length === 3 && flag === '--relay' && value) return value
  if (argv.length === 2 && flag?.startsWith('--relay=')) return flag.slice('--relay='.length) || undefined
  return undefined
}
