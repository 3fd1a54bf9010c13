#!/usr/bin/env node
// In-container entry: `hive-agent serve` (turn loop) and `hive-agent mcp` (stdio MCP server).
import { register } from 'tsx/esm/api'

register()
await import('../src/agent/main.ts')
