import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ensureAgentDirs, readAppliedConfig, removeAgentTree } from './agent-dirs.ts'
import { HivePaths } from './hive-paths.ts'

const TOKEN = 'operator-token-that-must-survive\n'
const commits = (repo: string) => execFileSync('git', ['-c', 'safe.directory=*', '-C', repo, 'log', '--format=%s'], { encoding: 'utf8' }).trim().split('\n')

/**
 * Boot runs ensureAgentDirs for every agent as host root, over directories agents write: it may
 * only create, never write through what an agent left there or run git in it.
 */
describe('ensureAgentDirs', () => {
  let paths: HivePaths
  const log = { warn: vi.fn() }
  beforeEach(() => {
    paths = new HivePaths(mkdtempSync(join(tmpdir(), 'hive-dirs-')))
    writeFileSync(paths.operatorToken, TOKEN, { mode: 0o600 })
    log.warn.mockClear()
  })
  afterEach(() => rmSync(paths.home, { recursive: true, force: true }))

  it('seeds a fresh agent: notes, and an initial commit in both repos', () => {
    ensureAgentDirs(paths, log, 'worker', 'does work')
    expect(readFileSync(paths.agentNotes('worker'), 'utf8')).toBe('# worker — notes\n')
    expect(commits(paths.agentConfigRepo('worker'))).toEqual(['initial config'])
    expect(commits(paths.appliedRepo('worker'))).toEqual(['initial applied config'])
    expect(readAppliedConfig(paths, 'worker').description).toBe('does work')
    ensureAgentDirs(paths, log, 'worker') // a second boot changes nothing
    expect(commits(paths.agentConfigRepo('worker'))).toEqual(['initial config'])
    expect(log.warn).not.toHaveBeenCalled()
  })

  it('never writes through a planted agent.json symlink, nor runs git in a repo stripped of .git', () => {
    ensureAgentDirs(paths, log, 'worker')
    const repo = paths.agentConfigRepo('worker')
    rmSync(join(repo, '.git'), { recursive: true })
    unlinkSync(join(repo, 'agent.json'))
    symlinkSync('../../../operator.token', join(repo, 'agent.json'))

    ensureAgentDirs(paths, log, 'worker') // the next boot
    expect(readFileSync(paths.operatorToken, 'utf8')).toBe(TOKEN)
    expect(existsSync(join(repo, '.git'))).toBe(false) // no `git init` ran in it
    expect(log.warn).toHaveBeenCalledWith(expect.objectContaining({ agent: 'worker', repo }), expect.stringContaining('no .git'))
  })

  it('never writes through a planted notes.md symlink, dangling or not', () => {
    ensureAgentDirs(paths, log, 'worker')
    unlinkSync(paths.agentNotes('worker'))
    symlinkSync(paths.operatorToken, paths.agentNotes('worker'))
    ensureAgentDirs(paths, log, 'worker')
    expect(readFileSync(paths.operatorToken, 'utf8')).toBe(TOKEN)

    unlinkSync(paths.agentNotes('worker'))
    const planted = join(paths.home, 'created-by-root')
    symlinkSync(planted, paths.agentNotes('worker'))
    ensureAgentDirs(paths, log, 'worker')
    expect(existsSync(planted)).toBe(false)
  })

  it('leaves a pre-existing config directory alone on a first seed', () => {
    mkdirSync(paths.agentConfigRepo('worker'), { recursive: true })
    symlinkSync('../../../operator.token', join(paths.agentConfigRepo('worker'), 'agent.json'))
    ensureAgentDirs(paths, log, 'worker')
    expect(readFileSync(paths.operatorToken, 'utf8')).toBe(TOKEN)
    expect(commits(paths.appliedRepo('worker'))).toEqual(['initial applied config'])
    expect(log.warn).toHaveBeenCalledOnce()
  })

  it('purges an agent tree without following the links planted in it', () => {
    ensureAgentDirs(paths, log, 'worker')
    const outside = join(paths.home, 'outside')
    mkdirSync(outside)
    writeFileSync(join(outside, 'keep'), 'kept')
    symlinkSync(outside, join(paths.agentConfigRepo('worker'), '.git', 'objects', 'evil'))
    symlinkSync(outside, join(paths.agentStateDir('worker'), 'home'))
    removeAgentTree(paths.agentDir('worker'))
    expect(existsSync(paths.agentDir('worker'))).toBe(false)
    expect(readFileSync(join(outside, 'keep'), 'utf8')).toBe('kept')
  })

  it('reads the applied agent.json only as a regular file', () => {
    ensureAgentDirs(paths, log, 'worker')
    const applied = paths.appliedConfig('worker')
    unlinkSync(applied)
    symlinkSync(paths.operatorToken, applied)
    expect(() => readAppliedConfig(paths, 'worker')).toThrow(/agent\.json: it is a symlink, not a regular file/)
    unlinkSync(applied)
    execFileSync('mkfifo', [applied])
    expect(() => readAppliedConfig(paths, 'worker')).toThrow(/it is a FIFO, not a regular file/)
    unlinkSync(applied)
    writeFileSync(applied, ' '.repeat(1024 * 1024))
    expect(() => readAppliedConfig(paths, 'worker')).toThrow(/over the \d+-byte limit/)
  })
})
