import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { HiveError, HiveErrorCode } from '@hive/mcp'
import { agentConfigSchema, defaultAgentConfig, type AgentConfig } from '../core/agent-config.ts'
import { childEnv } from '../node/child-env.ts'
import type { HivePaths } from '../node/hive-paths.ts'

const AGENT_JSON = 'agent.json'
const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'hive',
  GIT_AUTHOR_EMAIL: 'hive@localhost',
  GIT_COMMITTER_NAME: 'hive',
  GIT_COMMITTER_EMAIL: 'hive@localhost',
}

/**
 * The per-agent layout of design.md: state (→ /state), claude (→ /root/.claude), the proposed
 * config repo the manager edits, the applied repo that runs, and the socket dir. Idempotent, so
 * a revived or re-started agent keeps what it had.
 */
export function ensureAgentDirs(paths: HivePaths, name: string, description?: string, uid?: number): void {
  for (const dir of [paths.agentStateDir(name), paths.agentClaudeDir(name), paths.agentRunDir(name)]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    // Isolating runtimes map container root to `uid`: state must be owned by it, not host root.
    if (uid !== undefined) chownSync(dir, uid, uid)
  }
  const notes = join(paths.agentStateDir(name), 'notes.md')
  if (!existsSync(notes)) writeFileSync(notes, `# ${name} — notes\n`)
  const config = defaultAgentConfig(description)
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

function git(cwd: string, args: string[]): void {
  execFileSync('git', args, { cwd, env: childEnv({ ...GIT_IDENTITY, PATH: '/usr/bin:/bin:/usr/local/bin' }), stdio: 'ignore' })
}

/** The applied agent.json (what runs), validated; a broken file is a clear error, not a crash. */
export function readAppliedConfig(paths: HivePaths, name: string): AgentConfig {
  const file = join(paths.appliedRepo(name), AGENT_JSON)
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new HiveError(HiveErrorCode.PreconditionFailed, `cannot read ${file}: ${(e as Error).message}`)
  }
  const parsed = agentConfigSchema.safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
    throw new HiveError(HiveErrorCode.PreconditionFailed, `${file} is invalid: ${issues}`)
  }
  return parsed.data
}
