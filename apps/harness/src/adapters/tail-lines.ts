import { open } from 'node:fs/promises'

/** Reads at most this much of a file's end: a huge log must not be loaded whole. */
const TAIL_BYTES = 1024 * 1024

/** The last `count` lines of a text file; [] when it does not exist yet. */
export async function tailLines(file: string, count: number): Promise<string[]> {
  let handle
  try {
    handle = await open(file, 'r')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw e
  }
  try {
    const { size } = await handle.stat()
    const start = Math.max(0, size - TAIL_BYTES)
    const buffer = Buffer.alloc(size - start)
    await handle.read(buffer, 0, buffer.length, start)
    const lines = buffer.toString('utf8').split('\n')
    if (lines.at(-1) === '') lines.pop()
    return lines.slice(-count)
  } finally {
    await handle.close()
  }
}
