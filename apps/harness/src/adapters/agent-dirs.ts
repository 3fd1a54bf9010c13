import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { HiveError, HiveErrorCode } from '@hive/mcp'
import { defaultAgentConfig, type AgentConfig } from '../domain/agent-config.ts'
import type { HivePaths } from './hive-paths.ts'
import { AGENT_JSON, git, parseAgentConfig } from './config-repos.ts'

/**
 * The per-agent layout of design.md: state (→ /state), claude (→ /root/.claude), the proposed
 * config repo the manager edits, the applied repo that runs, and the socket dir. Idempotent, so
 * a revived or re-started agent keeps what it had.
 */
export function ensureAgentDirs(paths: HivePaths, name: string, description?: string, role: 'agent' | 'manager' = 'agent'): void {
  // Isolating runtimes chown these to the agent's uid range when they start it.
  for (const dir of [paths.agentStateDir(name), paths.agentClaudeDir(name), paths.agentRunDir(name)]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  }
  const notes = paths.agentNotes(name)
  if (!existsSync(notes)) writeFileSync(notes, `# ${name} — notes\n`)
  const config = defaultAgentConfig(description, role)
  seedRepo(paths.agentConfigRepo(name), config, 'initial config')
  seedRepo(paths.appliedRepo(name), config, 'initial applied config')
}

function seedRepo(dir: string, config: AgentConfig, message: string): void {
  if (existsSync(join(dir, '.git'))) return
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, AGENT_JSON), JSON.stringify(config, null, 2) + '\n')
  git(dir, ['init', '--quiet', '--initial-branch=main'])
  git(dir, ['add', AGENT_JSON])
  git(dir, ['commit', '--quiet', '-m', message])
}

/** The applied agent.json (what runs), validated; a broken file is a clear error, not a crash. */
export function readAppliedConfig(paths: HivePaths, name: string): AgentConfig {
  const file = paths.appliedConfig(name)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new HiveError(HiveErrorCode.PreconditionFailed, `cannot read ${file}: ${(e as Error).message}`)
  }
  return parseAgentConfig(text, file)
}
