import { execFileSync, spawnSync } from 'node:child_process'
import { closeSync, constants, fstatSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { HiveError, HiveErrorCode } from '@hive/mcp'
import { agentConfigSchema, type AgentConfig } from '../domain/agent-config.ts'
import { childEnv } from './child-env.ts'
import { AgentFileNames, type HivePaths } from './hive-paths.ts'

export const AGENT_JSON = AgentFileNames.CONFIG
/** The largest agent.json read, applied or proposed; a valid one is far smaller (its schema caps every field). */
export const MAX_AGENT_JSON_BYTES = 256 * 1024
/** A unified diff longer than this is cut (the dashboard shows it, the operator reads it). */
const MAX_DIFF_CHARS = 64 * 1024
/** A sha, a branch, `HEAD~1`…: never something git could take for an option. */
const COMMIT_REF = /^[A-Za-z0-9][A-Za-z0-9._/~^-]{0,255}$/

/** Copying a proposed repo's .git (snapshotRepo): a config repo is small, a hostile one is stopped. */
const Snapshot = {
  /** The parts of .git git needs to resolve refs and read objects; config, hooks and the rest stay behind. */
  PARTS: ['HEAD', 'packed-refs', 'refs', 'objects'],
  /** The copy gives up after this long (ms): a repo the manager keeps growing cannot hold the daemon. */
  COPY_TIMEOUT_MS: 30_000,
  /** RLIMIT_FSIZE of the copy (bytes): no object or pack of a config repo comes near it. */
  MAX_FILE_BYTES: 64 * 1024 * 1024,
} as const
/** The only tree entry mode a config file may have: a plain, non-executable blob. */
const REGULAR_BLOB_MODE = '100644'
/** Tree entry modes of a symlink and of a submodule (gitlink), never in a config tree. */
const SYMLINK_MODE = '120000'
const GITLINK_MODE = '160000'

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
 * refusing symlinks and special files. Under nspawn the proposed repo belongs to the manager's uid:
 * running git in it as root would let its `.git/config` run commands as host root (the reason git
 * has `safe.directory`), and reading it by path as root races the manager swapping a directory for
 * a symlink. So .git is opened without following (its parent, config/, cannot be swapped:
 * safe-file.ts), copied through that fd *as the repo's owner* into a directory under a root-only
 * temp dir (which no container can see), then checked and chowned to root before git touches it.
 * The caller removes the copy's parent directory.
 */
function snapshotRepo(workTree: string, what: string): string {
  let gitDir: number
  try {
    gitDir = openSync(join(workTree, '.git'), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (e) {
    if (['ENOENT', 'ENOTDIR', 'ELOOP'].includes((e as NodeJS.ErrnoException).code ?? '')) {
      throw new HiveError(HiveErrorCode.BadRequest, `${what} has no .git directory`)
    }
    throw e
  }
  const parent = mkdtempSync(join(tmpdir(), 'hive-proposal-')) // 0700, root's
  const repo = join(parent, 'repo.git')
  try {
    const owner = copyOwner(workTree, gitDir)
    mkdirSync(repo, { mode: 0o700 })
    if (owner !== undefined) lchownSync(repo, owner, owner)
    copyGitParts(gitDir, repo, owner, what)
    const bad = findNonRegular(repo, owner === undefined ? undefined : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 })
    if (bad) throw new HiveError(HiveErrorCode.BadRequest, `${what} contains ${bad.kind} (${relative(repo, bad.path)}); refusing to read it`)
    for (const alternates of ['alternates', 'http-alternates']) rmSync(join(repo, 'objects', 'info', alternates), { force: true })
    git(parent, ['init', '--quiet', '--bare', repo])
    return repo
  } catch (e) {
    rmSync(parent, { recursive: true, force: true })
    throw e
  } finally {
    closeSync(gitDir)
  }
}

/**
 * Whom to copy a repo as: a non-root owner of the work tree or its .git (the daemon chowns a
 * config repo as a whole to the manager's uid), or nobody else (undefined: the daemon itself)
 * when the daemon is not root or the repo is root's (the process runtime).
 */
function copyOwner(workTree: string, gitDir: number): number | undefined {
  if (process.getuid?.() !== 0) return undefined
  return [lstatSync(workTree).uid, fstatSync(gitDir).uid].find((uid) => uid !== 0)
}

/**
 * `cp -R -P` of Snapshot.PARTS from the open .git (fd 3 in the child, reached as /proc/self/fd/3,
 * so no path above it is resolved again) into `repo`, under `setpriv` as `owner` when given.
 * FIFOs and sockets come out as such (never read), symlinks as symlinks: findNonRegular refuses them.
 */
function copyGitParts(gitDir: number, repo: string, owner: number | undefined, what: string): void {
  const parts = Snapshot.PARTS.filter((part) => lstatSync(`/proc/self/fd/${gitDir}/${part}`, { throwIfNoEntry: false }))
  if (parts.length === 0) return
  const copy = [`--fsize=${Snapshot.MAX_FILE_BYTES}`, 'cp', '-R', '-P', '--', ...parts.map((p) => `/proc/self/fd/3/${p}`), '.']
  const [command, args] =
    owner === undefined
      ? ['prlimit', copy]
      : ['setpriv', [`--reuid=${owner}`, `--regid=${owner}`, '--clear-groups', '--no-new-privs', '--', 'prlimit', ...copy]]
  const result = spawnSync(command, args, {
    cwd: repo,
    env: childEnv({ PATH: GIT_ENV.PATH }),
    stdio: ['ignore', 'pipe', 'pipe', gitDir],
    encoding: 'utf8',
    timeout: Snapshot.COPY_TIMEOUT_MS,
  })
  if (result.error) throw new Error(`copying ${what}: ${result.error.message}`)
  if (result.status !== 0) {
    const why = result.stderr.trim() || (result.signal ? `stopped by ${result.signal}` : `exit ${result.status}`)
    throw new HiveError(HiveErrorCode.BadRequest, `${what} could not be copied: ${why}`)
  }
}

/**
 * The first entry under `dir` that is neither a directory nor a regular file; chowns every entry to
 * `chownTo` on the way (nothing but this process can reach the copy any more).
 */
function findNonRegular(dir: string, chownTo: { uid: number; gid: number } | undefined): { path: string; kind: string } | undefined {
  if (chownTo) lchownSync(dir, chownTo.uid, chownTo.gid)
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (chownTo) lchownSync(path, chownTo.uid, chownTo.gid)
    if (entry.isDirectory()) {
      const found = findNonRegular(path, chownTo)
      if (found) return found
    } else if (!entry.isFile()) {
      return { path, kind: entry.isSymbolicLink() ? 'a symlink' : entry.isFIFO() ? 'a FIFO' : entry.isSocket() ? 'a socket' : 'a special file' }
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

  /**
   * The commit's agent.json, validated. Its tree may hold regular files only: a symlinked
   * agent.json (or any symlink or submodule) would be checked out into the applied repo and
   * followed by whoever reads it as root.
   */
  private configAt(repo: string, sha: string): AgentConfig {
    const at = sha.slice(0, 12)
    let entries: TreeEntry[]
    try {
      entries = treeEntries(git(repo, ['ls-tree', '-r', '-z', '--full-tree', sha]))
    } catch (e) {
      throw new HiveError(HiveErrorCode.BadRequest, `commit ${at}: its tree cannot be listed (${(e as Error).message})`)
    }
    const config = entries.find((e) => e.path === AGENT_JSON)
    if (!config) throw new HiveError(HiveErrorCode.BadRequest, `commit ${at} has no ${AGENT_JSON}`)
    if (config.mode !== REGULAR_BLOB_MODE || config.type !== 'blob') {
      throw new HiveError(HiveErrorCode.BadRequest, `${AGENT_JSON} at ${at} is ${entryKind(config.mode)} (mode ${config.mode}); it must be a regular file (mode ${REGULAR_BLOB_MODE})`)
    }
    const special = entries.find((e) => e.mode === SYMLINK_MODE || e.mode === GITLINK_MODE)
    if (special) {
      throw new HiveError(HiveErrorCode.BadRequest, `commit ${at} contains ${entryKind(special.mode)} (${special.path}); a config tree holds regular files only`)
    }
    const size = Number(git(repo, ['cat-file', '-s', config.oid]).trim())
    if (size > MAX_AGENT_JSON_BYTES) {
      throw new HiveError(HiveErrorCode.BadRequest, `${AGENT_JSON} at ${at} is ${size} bytes, over the ${MAX_AGENT_JSON_BYTES}-byte limit`)
    }
    return parseAgentConfig(git(repo, ['cat-file', 'blob', config.oid]), `${AGENT_JSON} at ${at}`)
  }
}

interface TreeEntry {
  mode: string
  type: string
  oid: string
  path: string
}

function entryKind(mode: string): string {
  if (mode === SYMLINK_MODE) return 'a symlink'
  if (mode === GITLINK_MODE) return 'a submodule'
  if (mode === '100755') return 'an executable file'
  return 'not a regular file'
}

/** `git ls-tree -z` output: `<mode> SP <type> SP <oid> TAB <path> NUL` per entry. */
function treeEntries(output: string): TreeEntry[] {
  return output
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const match = /^(\d{6}) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(line)
      if (!match) throw new Error(`unexpected git ls-tree line: ${line}`)
      const [, mode = '', type = '', oid = '', path = ''] = match
      return { mode, type, oid, path }
    })
}
