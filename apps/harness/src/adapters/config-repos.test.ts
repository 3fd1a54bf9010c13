import { execFileSync } from 'node:child_process'
import { chmodSync, lstatSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ensureAgentDirs } from './agent-dirs.ts'
import { ConfigRepos } from './config-repos.ts'
import { HivePaths } from './hive-paths.ts'

/** A uid no process here runs as, in the agents' range (uid-range.ts), standing in for the manager's. */
const MANAGER_UID = 0x6ffe0000
const asRoot = process.getuid?.() === 0

/** The manager's side: git in its own repo, as it would run it in its container. */
function commit(repo: string, message: string): string {
  const git = (...args: string[]) => execFileSync('git', ['-c', 'safe.directory=*', '-c', 'user.name=manager', '-c', 'user.email=m@hive', '-C', repo, ...args], { encoding: 'utf8' })
  git('add', '-A')
  git('commit', '--quiet', '-m', message)
  return git('rev-parse', 'HEAD').trim()
}

describe('ConfigRepos: reading a proposal the manager controls', () => {
  let paths: HivePaths
  let repo: string
  let repos: ConfigRepos
  beforeEach(() => {
    paths = new HivePaths(mkdtempSync(join(tmpdir(), 'hive-repos-')))
    ensureAgentDirs(paths, { warn: () => undefined }, 'worker')
    repo = paths.agentConfigRepo('worker')
    repos = new ConfigRepos(paths, 'worker')
  })
  afterEach(() => rmSync(paths.home, { recursive: true, force: true }))

  it('imports a valid commit', () => {
    writeFileSync(join(repo, 'agent.json'), '{ "bash": ["git status"] }\n')
    const sha = commit(repo, 'git status')
    expect(repos.importProposal('HEAD')).toBe(sha)
  })

  it('refuses an agent.json committed as a symlink, and any symlink in the tree', () => {
    unlinkSync(join(repo, 'agent.json'))
    symlinkSync('../../../operator.token', join(repo, 'agent.json'))
    commit(repo, 'agent.json → operator.token')
    expect(() => repos.importProposal('HEAD')).toThrow(/agent\.json at [0-9a-f]{12} is a symlink \(mode 120000\); it must be a regular file \(mode 100644\)/)

    unlinkSync(join(repo, 'agent.json'))
    writeFileSync(join(repo, 'agent.json'), '{}\n')
    symlinkSync('/etc/shadow', join(repo, 'notes'))
    commit(repo, 'a symlink beside it')
    expect(() => repos.importProposal('HEAD')).toThrow(/contains a symlink \(notes\); a config tree holds regular files only/)
  })

  it('refuses to apply a commit whose agent.json is a symlink, leaving the applied file as it was', () => {
    unlinkSync(join(repo, 'agent.json'))
    symlinkSync('../../operator.token', join(repo, 'agent.json'))
    const sha = commit(repo, 'agent.json → operator.token')
    // As if it had got into the applied repo some other way (before this check existed).
    execFileSync('git', ['-C', paths.appliedRepo('worker'), 'fetch', '--quiet', repo, '+refs/heads/*:refs/proposed/*'])
    expect(() => repos.apply(1, sha)).toThrow(/agent\.json at [0-9a-f]{12} is a symlink/)
    expect(lstatSync(paths.appliedConfig('worker')).isFile()).toBe(true)
  })

  it('refuses an executable agent.json', () => {
    chmodSync(join(repo, 'agent.json'), 0o755)
    commit(repo, 'chmod +x')
    expect(() => repos.importProposal('HEAD')).toThrow(/agent\.json at [0-9a-f]{12} is an executable file \(mode 100755\)/)
  })

  it('refuses a FIFO planted in .git at once, never reading it', () => {
    execFileSync('mkfifo', [join(repo, '.git', 'objects', 'wedge')])
    const started = performance.now()
    expect(() => repos.importProposal('HEAD')).toThrow(/contains a FIFO \(objects\/wedge\)/)
    rmSync(join(repo, '.git', 'objects', 'wedge'))
    rmSync(join(repo, '.git', 'HEAD'))
    execFileSync('mkfifo', [join(repo, '.git', 'HEAD')]) // a part copied by name
    expect(() => repos.importProposal('HEAD')).toThrow(/contains a FIFO \(HEAD\)/)
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('refuses a .git that is a symlink', () => {
    const elsewhere = paths.appliedRepo('worker')
    rmSync(join(repo, '.git'), { recursive: true })
    symlinkSync(join(elsewhere, '.git'), join(repo, '.git'))
    expect(() => repos.importProposal('HEAD')).toThrow(/has no \.git directory/)
  })

  describe.runIf(asRoot)('a repo owned by the manager’s uid (as under nspawn)', () => {
    beforeEach(() => execFileSync('chown', ['-R', `${MANAGER_UID}:${MANAGER_UID}`, repo]))

    // git as root refuses a repo it does not own ("dubious ownership"): the import working shows the copy became root's.
    it('is copied as that uid, and what it copied is root’s', () => {
      writeFileSync(join(repo, 'agent.json'), '{ "bash": ["ls"] }\n')
      const sha = commit(repo, 'ls')
      execFileSync('chown', ['-R', `${MANAGER_UID}:${MANAGER_UID}`, repo])
      expect(repos.importProposal(sha)).toBe(sha)
    })

    it('cannot read what its uid cannot: a root-only file inside is a failed copy, not a disclosure', () => {
      const rootOnly = join(repo, '.git', 'objects', 'root-only')
      writeFileSync(rootOnly, 'secret', { mode: 0o600 })
      execFileSync('chown', ['0:0', rootOnly])
      expect(() => repos.importProposal('HEAD')).toThrow(/could not be copied: .*Permission denied/)
    })

    it('still refuses a planted symlink', () => {
      symlinkSync('/etc', join(repo, '.git', 'objects', 'evil'))
      expect(() => repos.importProposal('HEAD')).toThrow(/contains a symlink \(objects\/evil\)/)
    })
  })
})
