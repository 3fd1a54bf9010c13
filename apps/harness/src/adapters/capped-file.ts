import { basename } from 'node:path'
import { readRegularFile } from './safe-file.ts'

/** notes.md and agent.json are shown read-only; cap what one page load carries (and reads). */
const MAX_FILE_BYTES = 64 * 1024

/**
 * A text file for display, truncated past its cap; null when it is not written yet. The agent
 * writes notes.md: a symlink, FIFO or device there is shown as a refusal, never followed or read.
 */
export async function readCapped(path: string): Promise<string | null> {
  let read
  try {
    read = await readRegularFile(path, { maxBytes: MAX_FILE_BYTES, oversize: 'head' })
  } catch (e) {
    return `(not shown: ${basename(path)} cannot be read: ${(e as Error).message})`
  }
  if (read === null) return null // not written yet
  if (!read.ok) return `(not shown: ${basename(path)} ${read.reason})`
  const text = read.data.toString('utf8')
  return read.truncated ? `${text}\n… (truncated)` : text
}
