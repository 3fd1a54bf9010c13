import { execFileSync } from 'node:child_process'
import { lstatSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Logger } from 'pino'
import { HiveError, HiveErrorCode } from '@hive/mcp'
import { defaultAgentConfig, type AgentConfig } from '../domain/agent-config.ts'
import type { HivePaths } from './hive-paths.ts'
import { childEnv } from './child-env.ts'
import { AGENT_JSON, git, MAX_AGENT_JSON_BYTES, parseAgentConfig } from './config-repos.ts'
import { createNewFileSync, readRegularFileSync } from './safe-file.ts'

/**
 * The per-agent layout of design.md: state (→ /state), claude (→ /root/.claude), the proposed
 * config repo the manager edits, the applied repo that runs, and the socket dir. Idempotent, so
 * a revived or re-started agent keeps what it had.
 *
 * Runs as host root over paths agents write (state/, and config/ for the manager): it only ever
 * creates, never writes through or runs git in what is already there (safe-file.ts says which
 * components an agent can swap). A config repo without .git is left alone with a warning.
 */
export function ensureAgentDirs(
  paths: HivePaths,
  log: Pick<Logger, 'warn'>,
  name: string,
  description?: string,
  role: 'agent' | 'manager' = 'agent',
): void {
  // Isolating runtimes chown these to the agent's uid range when they start it. Their parents
  // (agents/<n>, run/agents) are root's, so an existing one is the directory we made.
  for (const dir of [paths.agentStateDir(name), paths.agentClaudeDir(name), paths.agentRunDir(name)]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  }
  createNewFileSync(paths.agentNotes(name), `# ${name} — notes\n`)
  const config = defaultAgentConfig(description, role)
  mkdirSync(dirname(paths.appliedRepo(name)), { recursive: true })
  const repos: [string, string][] = [
    [paths.agentConfigRepo(name), 'initial config'],
    [paths.appliedRepo(name), 'initial applied config'],
  ]
  for (const [dir, message] of repos) {
    if (seedRepo(dir, config, message)) continue
    if (!lstatSync(join(dir, '.git'), { throwIfNoEntry: false })?.isDirectory()) {
      log.warn({ agent: name, repo: dir }, 'config repo has no .git directory (tampered or half-made): left alone; `hive destroy --purge` resets it')
    }
  }
}

/**
 * Seeds a repo only in a directory this call creates (mkdir without `recursive` succeeds): nothing
 * in it can be anyone else's, so git runs in it as root safely. False when `dir` already existed.
 */
function seedRepo(dir: string, config: AgentConfig, message: string): boolean {
  try {
    mkdirSync(dir, { mode: 0o755 })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  }
  createNewFileSync(join(dir, AGENT_JSON), JSON.stringify(config, null, 2) + '\n')
  git(dir, ['init', '--quiet', '--initial-branch=main'])
  git(dir, ['add', AGENT_JSON])
  git(dir, ['commit', '--quiet', '-m', message])
  return true
}

/**
 * `rm -rf` of an agent's tree (purge). Not fs.rmSync: it walks by path, so an agent still
 * running (the manager owns every config repo) could swap a directory for a symlink between its
 * lstat and readdir and have root delete the target's contents. GNU rm descends with
 * openat(O_NOFOLLOW) and checks each directory's device and inode, and stays on one filesystem.
 */
export function removeAgentTree(dir: string): void {
  execFileSync('rm', ['-rf', '--one-file-system', '--', dir], { env: childEnv({ PATH: '/usr/bin:/bin' }), stdio: ['ignore', 'ignore', 'pipe'] })
}

/** The applied agent.json (what runs), validated; a broken file is a clear error, not a crash. */
export function readAppliedConfig(paths: HivePaths, name: string): AgentConfig {
  const file = paths.appliedConfig(name)
  let read
  try {
    // Root's repo, but its work tree comes from approved commits: never follow what is there.
    read = readRegularFileSync(file, { maxBytes: MAX_AGENT_JSON_BYTES, oversize: 'refuse' })
  } catch (e) {
    throw new HiveError(HiveErrorCode.PreconditionFailed, `cannot read ${file}: ${(e as Error).message}`)
  }
  if (read === null) throw new HiveError(HiveErrorCode.PreconditionFailed, `cannot read ${file}: it does not exist`)
  if (!read.ok) throw new HiveError(HiveErrorCode.PreconditionFailed, `cannot read ${file}: it ${read.reason}`)
  return parseAgentConfig(read.data.toString('utf8'), file)
}
