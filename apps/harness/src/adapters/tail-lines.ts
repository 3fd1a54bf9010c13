import { HiveError, HiveErrorCode } from '@hive/mcp'
import { readRegularFile } from './safe-file.ts'

/** Reads at most this much of a file's end: a huge log must not be loaded whole. */
const TAIL_BYTES = 1024 * 1024

/** The last `count` lines of a text file; [] when it does not exist yet. */
export async function tailLines(file: string, count: number): Promise<string[]> {
  // Never through a symlink, FIFO or device (safe-file.ts), even though logs/ is root's.
  const read = await readRegularFile(file, { maxBytes: TAIL_BYTES, oversize: 'tail' })
  if (read === null) return []
  if (!read.ok) throw new HiveError(HiveErrorCode.PreconditionFailed, `${file} ${read.reason}`)
  const lines = read.data.toString('utf8').split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines.slice(-count)
}
