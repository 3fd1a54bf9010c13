import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MCP_SERVER_NAME } from '@hive/mcp'
import { InstallPaths } from '../adapters/install-paths.ts'


export interface AgentFiles {
  systemPromptFile: string
  mcpConfigFile: string
}

/**
 * Files the turn loop hands to `claude`, written next to the socket at boot: the role's system
 * prompt and an MCP config that starts this install's `hive-agent mcp`, relaying to the MCP server
 * `hive-agent serve` hosts at `mcpRelaySocket`.
 */
export function writeAgentFiles(runDir: string, name: string, role: 'agent' | 'manager', mcpRelaySocket: string): AgentFiles {
  // In a container the run dir is on its fresh tmpfs.
  mkdirSync(runDir, { recursive: true, mode: 0o700 })
  const template = readFileSync(join(InstallPaths.PROMPTS_DIR, `${role}.md`), 'utf8')
  const systemPromptFile = join(runDir, 'claude-system-prompt.md')
  writeFileSync(systemPromptFile, template.replaceAll('{name}', name))

  const mcpConfigFile = join(runDir, 'claude-mcp-config.json')
  const config = {
    mcpServers: {
      [MCP_SERVER_NAME]: {
        type: 'stdio',
        command: process.execPath,
        args: [InstallPaths.AGENT_BIN, 'mcp', '--relay', mcpRelaySocket],
      },
    },
  }
  writeFileSync(mcpConfigFile, JSON.stringify(config, null, 2))
  return { systemPromptFile, mcpConfigFile }
}
