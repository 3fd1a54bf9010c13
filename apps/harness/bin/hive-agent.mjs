#!/usr/bin/env node
// In-container entry: `hive-agent serve` (turn loop) and `hive-agent mcp` (stdio MCP server),
// from the bundle `npm run build` writes (no TypeScript at run time).
import { existsSync } from 'node:fs'

const entry = new URL('../dist/bin/hive-agent.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('hive-agent: not built yet; run `npm run build` (npm start and npm test do it)\n')
  process.exit(1)
}
await import(entry.href)
