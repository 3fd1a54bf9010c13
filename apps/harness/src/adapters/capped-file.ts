import { readFile } from 'node:fs/promises'

/** notes.md and agent.json are shown read-only; cap what one page load carries. */
const MAX_FILE_CHARS = 64 * 1024

/** A text file for display, truncated past its cap; null when it is not written yet. */
export async function readCapped(path: string): Promise<string | null> {
  try {
    const text = await readFile(path, 'utf8')
    return text.length > MAX_FILE_CHARS ? `${text.slice(0, MAX_FILE_CHARS)}\n… (truncated)` : text
  } catch {
    return null // not written yet
  }
}
