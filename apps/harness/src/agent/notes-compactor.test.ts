import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ClaudeRun } from './claude-process.ts'
import { compactNotes } from './notes-compactor.ts'

const NOTES = '# notes\n' + 'a line the agent wrote down, long enough to be worth compacting\n'.repeat(40)

/** A compactor run that answers `text`, as claude does when it finishes (or on SIGINT). */
const answering = (text: string, onRun?: () => void) => (): Promise<ClaudeRun> => {
  onRun?.()
  return Promise.resolve({ ok: true, exitCode: 0, exitSignal: null, promptTooLong: false, result: { result: text }, stderrTail: '' })
}

describe('compactNotes', () => {
  let stateDir: string
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'notes-compactor-'))
    writeFileSync(join(stateDir, 'notes.md'), NOTES)
  })
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }))

  const input = (signal: AbortSignal, run: () => Promise<ClaudeRun>) => ({ stateDir, workDir: join(stateDir, 'work'), limitBytes: 1000, model: 'haiku', signal, run })

  it('writes a smaller answer and keeps the old notes as notes.md.bak', async () => {
    const outcome = await compactNotes(input(new AbortController().signal, answering('# notes\nshort now')))
    expect(outcome).toEqual({ bytesBefore: Buffer.byteLength(NOTES), bytesAfter: Buffer.byteLength('# notes\nshort now\n') })
    expect(readFileSync(join(stateDir, 'notes.md'), 'utf8')).toBe('# notes\nshort now\n')
    expect(readFileSync(join(stateDir, 'notes.md.bak'), 'utf8')).toBe(NOTES)
  })

  it('writes nothing when the run was stopped, even if claude still printed a result', async () => {
    const stop = new AbortController()
    const outcome = await compactNotes(input(stop.signal, answering('# notes\nhalf', () => stop.abort())))
    expect(outcome).toEqual({ skipped: 'stopped before the rewrite finished' })
    expect(readFileSync(join(stateDir, 'notes.md'), 'utf8')).toBe(NOTES)
    expect(existsSync(join(stateDir, 'notes.md.bak'))).toBe(false)
  })
})
