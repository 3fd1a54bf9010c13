import { execFileSync } from 'node:child_process'
import { cpSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { HiveError, HiveErrorCode } from '@hive/mcp'
import { agentConfigSchema, type AgentConfig } from '../domain/agent-config.ts'
import { childEnv } from './child-env.ts'
import { AgentFileNames, type HivePaths } from './hive-paths.ts'

export const AGENT_JSON = AgentFileNames.CONFIG
/** A unified diff longer than this is cut (the dashboard shows it, the operator reads it). */
const MAX_DIFF_CHARS = 64 * 1024
/** A sha, a branch, `HEAD~1`…: never something git could take for an option. */
const COMMIT_REF = /^[A-Za-z0-9][A-Za-z0-9._/~^-]{0,255}$/

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'hive',
  GIT_AUTHOR_EMAIL: 'hive@localhost',
  GIT_COMMITTER_NAME: 'hive',
  GIT_COMMITTER_EMAIL: 'hive@localhost',
  PATH: '/usr/bin:/bin:/usr/local/bin',
}

/** Runs git in `cwd` (never in a repo an agent controls: see snapshotRepo); its stdout, or throws with git's own message. */
export function git(cwd: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd, env: childEnv(GIT_ENV), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim()
    throw new Error(stderr || (e as Error).message)
  }
}

/**
 * A root-owned bare copy of a repo's refs and objects, without its config, hooks or alternates,
 * and refusing symlinks. Under nspawn the proposed repo belongs to the manager's uid: running git
 * in it as root would let its `.git/config` run commands as host root (the reason git has
 * `safe.directory`). The caller removes the copy's parent directory.
 */
function snapshotRepo(workTree: string, what: string): string {
  const src = join(workTree, '.git')
  if (!lstatSync(src, { throwIfNoEntry: false })?.isDirectory()) throw new HiveError(HiveErrorCode.BadRequest, `${what} has no .git directory`)
  const repo = join(mkdtempSync(join(tmpdir(), 'hive-proposal-')), 'repo.git')
  git(dirname(repo), ['init', '--quiet', '--bare', repo])
  for (const part of ['HEAD', 'packed-refs', 'refs', 'objects']) {
    if (lstatSync(join(src, part), { throwIfNoEntry: false })) cpSync(join(src, part), join(repo, part), { recursive: true, force: true, verbatimSymlinks: true })
  }
  for (const alternates of ['alternates', 'http-alternates']) rmSync(join(repo, 'objects', 'info', alternates), { force: true })
  const link = findSymlink(repo)
  if (link) {
    rmSync(dirname(repo), { recursive: true, force: true })
    throw new HiveError(HiveErrorCode.BadRequest, `${what} contains a symlink (${relative(repo, link)}); refusing to read it`)
  }
  return repo
}

function findSymlink(dir: string): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isSymbolicLink()) return path
    if (entry.isDirectory()) {
      const found = findSymlink(path)
      if (found) return found
    }
  }
  return undefined
}

/** agent.json content, validated; the error names the file and the field. */
export function parseAgentConfig(text: string, where: string): AgentConfig {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    throw new HiveError(HiveErrorCode.PreconditionFailed, `${where} is not JSON: ${(e as Error).message}`)
  }
  const parsed = agentConfigSchema.safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
    throw new HiveError(HiveErrorCode.PreconditionFailed, `${where} is invalid: ${issues}`)
  }
  return parsed.data
}

/**
 * The two config repos of an agent: `proposed` (agents/<n>/config, the manager commits there)
 * and `applied` (applied/<n>, what runs). A proposal is copied into applied's object store when it
 * is requested, so whatever happens to the proposed repo afterwards, the operator approves exactly
 * the commit that was reviewed.
 */
export class ConfigRepos {
  constructor(
    private readonly paths: HivePaths,
    private readonly agent: string,
  ) {}

  /**
   * Resolves `ref` in the proposed repo, checks that its agent.json is valid and brings the commit
   * into the applied repo. Writes nothing the operator sees; the caller records the request.
   */
  importProposal(ref: string): string {
    if (!COMMIT_REF.test(ref)) throw new HiveError(HiveErrorCode.BadRequest, `commit_ref: "${ref}" is not a commit sha or ref`)
    const snapshot = snapshotRepo(this.paths.agentConfigRepo(this.agent), `${this.agent}'s config repo`)
    try {
      let sha: string
      try {
        sha = git(snapshot, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).trim()
      } catch {
        throw new HiveError(HiveErrorCode.BadRequest, `commit_ref: "${ref}" is not a commit in ${this.agent}'s config repo`)
      }
      this.configAt(snapshot, sha)
      const applied = this.paths.appliedRepo(this.agent)
      git(applied, ['fetch', '--quiet', '--no-tags', snapshot, '+refs/heads/*:refs/proposed/*'])
      try {
        git(applied, ['cat-file', '-e', `${sha}^{commit}`])
      } catch {
        throw new HiveError(HiveErrorCode.BadRequest, `commit_ref: ${sha.slice(0, 12)} is not on a branch of ${this.agent}'s config repo`)
      }
      return sha
    } finally {
      rmSync(dirname(snapshot), { recursive: true, force: true })
    }
  }

  /** Pins an imported proposal under its approval id. */
  tagProposal(id: number, sha: string): void {
    git(this.paths.appliedRepo(this.agent), ['tag', '--force', `proposal/${id}`, sha])
  }

  /** What approving would change: applied `main` → the proposal. */
  diff(sha: string): string {
    const out = git(this.paths.appliedRepo(this.agent), ['diff', '--no-color', '--no-ext-diff', 'main', sha])
    if (out === '') return '(the proposal matches the applied config)'
    return out.length > MAX_DIFF_CHARS ? `${out.slice(0, MAX_DIFF_CHARS)}\n… (diff cut at ${MAX_DIFF_CHARS} characters)` : out
  }

  /** Makes the proposal's tree the applied `main` (one new commit) and tags it deployed. */
  apply(id: number, sha: string): AgentConfig {
    const applied = this.paths.appliedRepo(this.agent)
    const config = this.configAt(applied, sha)
    git(applied, ['read-tree', '-u', '--reset', sha])
    git(applied, ['commit', '--quiet', '--allow-empty', '-m', `apply proposal #${id} (${sha.slice(0, 12)})`])
    git(applied, ['tag', '--force', `deployed/${id}`])
    return config
  }

  private configAt(repo: string, sha: string): AgentConfig {
    let text: string
    try {
      text = git(repo, ['show', `${sha}:${AGENT_JSON}`])
    } catch {
      throw new HiveError(HiveErrorCode.BadRequest, `commit ${sha.slice(0, 12)} has no ${AGENT_JSON}`)
    }
    return parseAgentConfig(text, `${AGENT_JSON} at ${sha.slice(0, 12)}`)
  }
}
