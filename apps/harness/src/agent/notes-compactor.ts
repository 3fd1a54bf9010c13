import { copyFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { printModeArgs } from '../adapters/claude-command.ts'
import { AgentFileNames } from '../adapters/hive-paths.ts'
import { InstallPaths } from '../adapters/install-paths.ts'
import type { ClaudeRun, RunClaudeInput } from './claude-process.ts'

const COMPACTOR_PROMPT = join(InstallPaths.PROMPTS_DIR, 'notes-compactor.md')

export interface NotesCompaction {
  bytesBefore: number
  bytesAfter: number
}

export interface CompactNotesInput {
  stateDir: string
  /** Where the compactor's own claude session lives: never the agent's cwd, so the agent's next
   * `--continue` picks up the agent's conversation, not this one. */
  workDir: string
  limitBytes: number
  model: string
  /** Cancel, timeout or stop: the run is stopped, and whatever it answered is not written. */
  signal: AbortSignal
  run: (input: Pick<RunClaudeInput, 'args' | 'prompt' | 'cwd'>, signal: AbortSignal) => Promise<ClaudeRun>
}

const notesFile = (stateDir: string) => join(stateDir, AgentFileNames.NOTES)

/** Whether `notes.md` has outgrown its limit. */
export function notesOverLimit(stateDir: string, limitBytes: number): boolean {
  try {
    return statSync(notesFile(stateDir)).size > limitBytes
  } catch {
    return false
  }
}

/**
 * A short-lived second `claude` session (no tools, no MCP) rewrites notes.md; the old copy stays
 * as notes.md.bak. The new text is written only if it is non-empty and smaller — a bad answer
 * leaves the notes untouched. Runs between turns, so the agent cannot be writing the file.
 */
export async function compactNotes(input: CompactNotesInput): Promise<NotesCompaction | { skipped: string }> {
  const file = notesFile(input.stateDir)
  const before = readFileSync(file, 'utf8')
  const bytesBefore = Buffer.byteLength(before)
  mkdirSync(input.workDir, { recursive: true })
  const run = await input.run({
    args: [
      ...printModeArgs(input.model),
      '--system-prompt-file',
      COMPACTOR_PROMPT,
      '--strict-mcp-config',
      '--tools',
      '',
      '--no-session-persistence',
    ],
    prompt: `Compact these notes to well under ${input.limitBytes} bytes (now ${bytesBefore}). The file:\n\n${before}`,
    cwd: input.workDir,
  }, input.signal)
  // claude answers SIGINT with a final result line: a stopped rewrite may look like a finished one.
  if (input.signal.aborted) return { skipped: 'stopped before the rewrite finished' }
  const text = run.result?.result?.trim() ?? ''
  if (!run.ok || text === '') return { skipped: `the compactor failed: ${run.result?.result ?? run.stderrTail ?? 'no answer'}`.slice(0, 500) }
  const after = text + '\n'
  const bytesAfter = Buffer.byteLength(after)
  if (bytesAfter >= bytesBefore) return { skipped: `the compacted notes are not smaller (${bytesAfter} ≥ ${bytesBefore} bytes)` }
  copyFileSync(file, join(dirname(file), AgentFileNames.NOTES_BACKUP))
  const tmp = `${file}.tmp`
  writeFileSync(tmp, after)
  renameSync(tmp, file)
  return { bytesBefore, bytesAfter }
}
