import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createConfigCommitter } from './config-commit.ts'

const IDENTITY = { authorName: 'manager', authorEmail: 'manager@hive', committerName: 'manager', committerEmail: 'manager@hive' }
const GIT_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: '/nonexistent' }

const git = (repo: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=seed', '-c', 'user.email=seed@hive', '-C', repo, ...args], { env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

/**
 * commit_config against a real repo whose `.git` an attacker wrote: every way the repo's own
 * config can make git run a program is planted, and none may run.
 */
describe('commit_config', () => {
  let root: string
  let agentsDir: string
  let repo: string
  let marks: string

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hive-config-commit-'))
    agentsDir = join(root, 'agents')
    repo = join(agentsDir, 'worker', 'config')
    marks = join(root, 'marks')
    mkdirSync(repo, { recursive: true })
    mkdirSync(marks)
    writeFileSync(join(repo, 'agent.json'), '{\n  "bash": []\n}\n')
    writeFileSync(join(repo, 'README'), 'kept as it is\n')
    git(repo, 'init', '--quiet', '--initial-branch=main')
    git(repo, 'add', '.')
    git(repo, 'commit', '--quiet', '-m', 'initial config')
  })
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  const commit = (agent = 'worker', message = 'worker: git status') => createConfigCommitter({ agentsDir, identity: IDENTITY })({ agent, message })
  const marked = () => readdirSync(marks).sort()

  /** A script that leaves `marks/<name>` when anything runs it. */
  function trap(name: string): string {
    const file = join(root, `${name}.sh`)
    writeFileSync(file, `#!/bin/sh\ntouch '${join(marks, name)}'\ncat\n`)
    chmodSync(file, 0o755)
    return file
  }

  function plant(): void {
    const hooks = join(repo, '.git', 'hooks')
    for (const hook of ['pre-commit', 'commit-msg', 'post-commit', 'reference-transaction', 'post-index-change', 'pre-auto-gc']) {
      writeFileSync(join(hooks, hook), `#!/bin/sh\ntouch '${join(marks, `hook-${hook}`)}'\n`, { mode: 0o755 })
    }
    const hooksPath = join(root, 'evil-hooks')
    mkdirSync(hooksPath)
    writeFileSync(join(hooksPath, 'reference-transaction'), `#!/bin/sh\ntouch '${join(marks, 'hookspath-reference-transaction')}'\n`, { mode: 0o755 })
    git(repo, 'config', 'core.hooksPath', hooksPath)
    git(repo, 'config', 'core.fsmonitor', trap('fsmonitor'))
    git(repo, 'config', 'filter.evil.clean', trap('filter-clean'))
    git(repo, 'config', 'filter.evil.smudge', trap('filter-smudge'))
    git(repo, 'config', 'filter.evil.process', trap('filter-process'))
    git(repo, 'config', 'commit.gpgSign', 'true')
    git(repo, 'config', 'gpg.program', trap('gpg'))
    git(repo, 'config', 'core.pager', trap('pager'))
    git(repo, 'config', 'diff.external', trap('diff-external'))
    git(repo, 'config', 'gc.auto', '1')
    writeFileSync(join(repo, '.gitattributes'), 'agent.json filter=evil\n')
    writeFileSync(join(repo, '.git', 'info', 'attributes'), '* filter=evil\n')
  }

  it('commits the new agent.json on main without running anything the repo configures', async () => {
    plant()
    const before = git(repo, '-c', 'core.hooksPath=/dev/null', 'rev-parse', 'main').trim()
    writeFileSync(join(repo, 'agent.json'), '{\n  "bash": ["git status"]\n}\n')

    const { sha } = await commit()

    expect(marked()).toEqual([])
    expect(sha).toMatch(/^[0-9a-f]{40}$/)
    const safe = (...args: string[]) => git(repo, '-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', ...args)
    expect(safe('rev-parse', 'main').trim()).toBe(sha)
    expect(safe('show', `${sha}:agent.json`)).toBe('{\n  "bash": ["git status"]\n}\n')
    expect(safe('show', `${sha}:README`)).toBe('kept as it is\n')
    expect(safe('log', '-1', '--format=%P|%an <%ae>|%cn|%s', sha).trim()).toBe(`${before}|manager <manager@hive>|manager|worker: git status`)
    expect(safe('ls-tree', sha, 'agent.json')).toMatch(/^100644 blob /)
    expect(marked()).toEqual([])
  })

  it('plants traps that plain git does run (the test above proves something)', () => {
    plant()
    writeFileSync(join(repo, 'agent.json'), '{}\n')
    try {
      git(repo, 'commit', '--quiet', '-am', 'plain commit')
    } catch {
      // the planted gpg.program "signs" nothing; the traps have run by then
    }
    expect(marked()).toEqual(expect.arrayContaining(['filter-process', 'fsmonitor']))
    git(repo, '-c', 'commit.gpgSign=false', 'commit', '--quiet', '-am', 'plain commit')
    expect(marked()).toContain('hookspath-reference-transaction')
  })

  it('refuses a symlinked or non-regular agent.json', async () => {
    writeFileSync(join(root, 'elsewhere.json'), '{"bash": ["sh *"]}\n')
    rmSync(join(repo, 'agent.json'))
    symlinkSync(join(root, 'elsewhere.json'), join(repo, 'agent.json'))
    await expect(commit()).rejects.toThrow(/agent\.json is a symlink; refusing/)
    rmSync(join(repo, 'agent.json'))
    mkdirSync(join(repo, 'agent.json'))
    await expect(commit()).rejects.toThrow(/agent\.json is not a regular file/)
  })

  it('refuses a repo reached through a symlink or with one in .git', async () => {
    symlinkSync(join(agentsDir, 'worker'), join(agentsDir, 'alias'))
    await expect(commit('alias')).rejects.toThrow(/is not a directory \(a symlink or file\)/)
    symlinkSync(join(root, 'marks'), join(repo, '.git', 'refs', 'heads', 'evil'))
    await expect(commit()).rejects.toThrow(/contains a symlink/)
  })

  it('refuses bad names, bad JSON, an unchanged file and a missing agents dir', async () => {
    await expect(commit('../worker')).rejects.toThrow(/agent name must match/)
    await expect(commit('worker', '')).rejects.toThrow(/message is empty/)
    await expect(commit('nobody')).rejects.toThrow(/nobody has no config repo/)
    await expect(commit()).rejects.toThrow(/nothing to commit/)
    writeFileSync(join(repo, 'agent.json'), '{ not json')
    await expect(commit()).rejects.toThrow(/is not JSON/)
    const nowhere = createConfigCommitter({ agentsDir: undefined, identity: IDENTITY })
    await expect(nowhere({ agent: 'worker', message: 'x' })).rejects.toThrow(/HIVE_AGENTS_DIR is not set/)
    expect(existsSync(join(repo, '.git', 'index.lock'))).toBe(false)
  })
})
