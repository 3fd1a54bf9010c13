import { spawn } from 'node:child_process'
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as z from 'zod'
import { HiveError, HiveErrorCode } from '../protocol/hive-error.ts'
import { agentNameSchema } from '../protocol/names.ts'
import { parseInput } from '../protocol/parse-input.ts'
import type { CommitConfig } from './manager-tools.ts'

const CONFIG_FILE = 'agent.json'
const BRANCH = 'refs/heads/main'

const CommitLimits = {
  /** agent.json is a few hundred bytes; anything near this is not a config. */
  MAX_CONFIG_BYTES: 64 * 1024,
  MAX_MESSAGE_CHARS: 4096,
  /** ms one plumbing command may take on a repo of one small file. */
  GIT_TIMEOUT_MS: 30_000,
  /** Entries under `.git` checked for symlinks; a fresh config repo has about 30. */
  MAX_GIT_ENTRIES: 10_000,
} as const

/**
 * Command-line config wins over the repo's own `.git/config`, which whoever can write the repo
 * controls: no hooks (update-ref runs `reference-transaction`), no fsmonitor, no signing program.
 * Filters and diff drivers never run: the blob is hashed with --no-filters and nothing diffs.
 */
const HARDENED = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', '-c', 'commit.gpgSign=false', '-c', 'tag.gpgSign=false']

/** Author and committer of the manager's config commits. */
export interface GitIdentity {
  authorName: string
  authorEmail: string
  committerName: string
  committerEmail: string
}

interface ConfigCommitterOptions {
  /** Where every agent's dir is (`<agentsDir>/<name>/config`); undefined where none is reachable. */
  agentsDir: string | undefined
  identity: GitIdentity
}

const inputSchema = z
  .object({
    agent: agentNameSchema,
    message: z
      .string()
      .min(1, 'message is empty')
      .max(CommitLimits.MAX_MESSAGE_CHARS)
      .refine((m) => !m.includes('\0'), 'message may not contain NUL'),
  })
  .strict()

/**
 * `commit_config`: commits the current agent.json of `<agentsDir>/<agent>/config` on `main` with
 * plumbing only (hash-object, ls-tree, mktree, commit-tree, update-ref), so nothing in the repo —
 * hooks, config, attributes, index — is acted on. The work tree and index are left as they are.
 */
export function createConfigCommitter({ agentsDir, identity }: ConfigCommitterOptions): CommitConfig {
  return async (args) => {
    const { agent, message } = parseInput(inputSchema, 'commit_config', args)
    if (agentsDir === undefined) {
      throw new HiveError(HiveErrorCode.PreconditionFailed, 'commit_config: no agents dir here (HIVE_AGENTS_DIR is not set)')
    }
    const repo = join(agentsDir, agent, 'config')
    const gitDir = checkedGitDir(agentsDir, agent)
    const content = readConfigFile(join(repo, CONFIG_FILE), agent)
    const git = (argv: string[], input?: Buffer | string) => runGit(gitDir, argv, identity, input)

    const old = (await git(['rev-parse', '--verify', '--quiet', `${BRANCH}^{commit}`]).catch(() => '')).trim()
    if (!/^[0-9a-f]{40,64}$/.test(old)) throw new HiveError(HiveErrorCode.PreconditionFailed, `${agent}'s config repo has no commit on main`)
    const blob = (await git(['hash-object', '-w', '--no-filters', '--stdin'], content)).trim()
    // `<mode> <type> <sha>\t<name>` per entry; every entry but agent.json is kept as it is.
    const entries = (await git(['ls-tree', '-z', `${old}^{tree}`])).split('\0').filter((e) => e !== '' && e.slice(e.indexOf('\t') + 1) !== CONFIG_FILE)
    const tree = (await git(['mktree', '-z'], [...entries, `100644 blob ${blob}\t${CONFIG_FILE}`].map((e) => `${e}\0`).join(''))).trim()
    const oldTree = (await git(['rev-parse', `${old}^{tree}`])).trim()
    if (tree === oldTree) {
      throw new HiveError(HiveErrorCode.PreconditionFailed, `nothing to commit: ${agent}'s agent.json matches main (${old.slice(0, 12)})`)
    }
    const sha = (await git(['commit-tree', tree, '-p', old, '-m', message])).trim()
    try {
      await git(['update-ref', '-m', 'commit_config', BRANCH, sha, old])
    } catch (e) {
      throw new HiveError(HiveErrorCode.Conflict, `${agent}'s main moved while committing; try again`, { cause: e })
    }
    return { sha }
  }
}

/**
 * `<agentsDir>/<agent>/config/.git`, refusing symlinks anywhere on the way and inside it, and a
 * linked-worktree `commondir`: git must read and write this repo and nothing else.
 */
function checkedGitDir(agentsDir: string, agent: string): string {
  const path = [join(agentsDir, agent), join(agentsDir, agent, 'config'), join(agentsDir, agent, 'config', '.git')]
  for (const p of path) {
    const st = lstatSync(p, { throwIfNoEntry: false })
    if (!st) throw new HiveError(HiveErrorCode.NotFound, `${agent} has no config repo (${p} is missing)`)
    if (!st.isDirectory()) throw new HiveError(HiveErrorCode.BadRequest, `${p} is not a directory (a symlink or file); refusing to commit`)
  }
  const gitDir = path[2] ?? ''
  if (lstatSync(join(gitDir, 'commondir'), { throwIfNoEntry: false })) {
    throw new HiveError(HiveErrorCode.BadRequest, `${agent}'s config repo is a linked worktree; refusing to commit`)
  }
  const link = findSymlink(gitDir, { left: CommitLimits.MAX_GIT_ENTRIES })
  if (link) throw new HiveError(HiveErrorCode.BadRequest, `${agent}'s config repo contains a symlink (${link}); refusing to commit`)
  return gitDir
}

function findSymlink(dir: string, budget: { left: number }): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (--budget.left < 0) throw new HiveError(HiveErrorCode.BadRequest, `${dir}: too many files in the config repo's .git`)
    const path = join(dir, entry.name)
    if (entry.isSymbolicLink()) return path
    if (entry.isDirectory()) {
      const found = findSymlink(path, budget)
      if (found) return found
    }
  }
  return undefined
}

/** agent.json as bytes, read by us (never by git): a regular file, not a symlink, JSON, bounded. */
function readConfigFile(file: string, agent: string): Buffer {
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ELOOP') throw new HiveError(HiveErrorCode.BadRequest, `${file} is a symlink; refusing to commit it`)
    if (code === 'ENOENT') throw new HiveError(HiveErrorCode.NotFound, `${agent} has no ${CONFIG_FILE} (${file})`)
    throw new HiveError(HiveErrorCode.PreconditionFailed, `cannot open ${file}: ${(e as Error).message}`)
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) throw new HiveError(HiveErrorCode.BadRequest, `${file} is not a regular file; refusing to commit it`)
    if (st.size > CommitLimits.MAX_CONFIG_BYTES) throw new HiveError(HiveErrorCode.BadRequest, `${file} is larger than ${CommitLimits.MAX_CONFIG_BYTES} bytes`)
    const content = readFileSync(fd)
    try {
      JSON.parse(content.toString('utf8'))
    } catch (e) {
      throw new HiveError(HiveErrorCode.BadRequest, `${file} is not JSON: ${(e as Error).message}`)
    }
    return content
  } finally {
    closeSync(fd)
  }
}

/**
 * git with an environment built from nothing: no system or global config, no GIT_DIR, GIT_EXEC_PATH
 * or GIT_CONFIG_* inherited from the caller, no prompts. Resolves with stdout; rejects with stderr.
 */
function runGit(gitDir: string, argv: string[], identity: GitIdentity, input?: Buffer | string): Promise<string> {
  const env = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: identity.authorName,
    GIT_AUTHOR_EMAIL: identity.authorEmail,
    GIT_COMMITTER_NAME: identity.committerName,
    GIT_COMMITTER_EMAIL: identity.committerEmail,
  }
  return new Promise((resolve, reject) => {
    const child = spawn('git', [`--git-dir=${gitDir}`, ...HARDENED, ...argv], {
      cwd: gitDir,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: CommitLimits.GIT_TIMEOUT_MS,
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.once('error', reject)
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'))
      else reject(new HiveError(HiveErrorCode.Internal, `git ${argv[0] ?? ''} failed: ${Buffer.concat(err).toString('utf8').trim() || `exit ${String(code)}`}`))
    })
    child.stdin.end(input)
  })
}
