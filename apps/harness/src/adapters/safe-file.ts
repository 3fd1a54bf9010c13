import { closeSync, constants, fchmodSync, fstatSync, openSync, readSync, writeSync, type Stats } from 'node:fs'
import { open } from 'node:fs/promises'

/*
 * How host root touches one file in a directory an agent can write (agents/<n>/state, claude,
 * config), without following what the agent planted there.
 *
 * Which path components an agent can swap: HIVE_HOME, agents/, agents/<n>/ (0711) and applied/<n>/
 * belong to root, so `state`, `claude` and `config` themselves cannot be replaced — only entries
 * inside them. For a direct child (state/notes.md, config/agent.json) the last component is the
 * only one the agent controls, and O_NOFOLLOW covers it; fstat on the opened fd then refuses
 * FIFOs, devices, sockets and directories. Deeper paths (config/.git/…) have agent-owned parents:
 * never read them by path as root (config-repos.ts copies them as the owner's uid instead).
 */

/** Refuse a symlink in the last component; never block on a FIFO or a lease; never take a tty. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY
/** Only a file that did not exist, never through a symlink. */
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_NOCTTY

export interface CappedReadOptions {
  /** The most bytes read from the file, whatever its size. */
  maxBytes: number
  /**
   * A file bigger than `maxBytes`: `head` reads its first `maxBytes`, `tail` its last (both
   * flagged `truncated`), `refuse` reads nothing and answers a refusal.
   */
  oversize: 'head' | 'tail' | 'refuse'
}

/** What was read, or why nothing was: `reason` completes "<file> …", e.g. "is a FIFO, not a regular file". */
type CappedRead = { ok: true; data: Buffer; size: number; truncated: boolean } | { ok: false; reason: string }

/**
 * Reads a regular file an agent may have tampered with: at most `maxBytes`, never through a
 * symlink, never blocking. Null when there is no file.
 */
export async function readRegularFile(path: string, options: CappedReadOptions): Promise<CappedRead | null> {
  let handle
  try {
    handle = await open(path, READ_FLAGS)
  } catch (e) {
    return openFailure(e)
  }
  try {
    const stats = await handle.stat()
    const refused = refusal(stats, options)
    if (refused) return refused
    const { start, length, truncated } = window(stats.size, options)
    const data = Buffer.alloc(length)
    let filled = 0
    while (filled < length) {
      const { bytesRead } = await handle.read(data, filled, length - filled, start + filled)
      if (bytesRead === 0) break // shrank since fstat
      filled += bytesRead
    }
    return { ok: true, data: data.subarray(0, filled), size: stats.size, truncated }
  } finally {
    await handle.close()
  }
}

/** `readRegularFile` for synchronous callers (one small file per call). */
export function readRegularFileSync(path: string, options: CappedReadOptions): CappedRead | null {
  let fd
  try {
    fd = openSync(path, READ_FLAGS)
  } catch (e) {
    return openFailure(e)
  }
  try {
    const stats = fstatSync(fd)
    const refused = refusal(stats, options)
    if (refused) return refused
    const { start, length, truncated } = window(stats.size, options)
    const data = Buffer.alloc(length)
    let filled = 0
    while (filled < length) {
      const bytesRead = readSync(fd, data, filled, length - filled, start + filled)
      if (bytesRead === 0) break // shrank since fstat
      filled += bytesRead
    }
    return { ok: true, data: data.subarray(0, filled), size: stats.size, truncated }
  } finally {
    closeSync(fd)
  }
}

/**
 * Creates `path` with `content` only if nothing is there (not even a dangling symlink), with
 * exactly `mode`; false when something already was, which is left as it is.
 */
export function createNewFileSync(path: string, content: string, mode = 0o644): boolean {
  let fd
  try {
    fd = openSync(path, CREATE_FLAGS, mode)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  }
  try {
    fchmodSync(fd, mode) // the umask may have narrowed it
    const bytes = Buffer.from(content, 'utf8')
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written)
    return true
  } finally {
    closeSync(fd)
  }
}

function openFailure(e: unknown): CappedRead | null {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return null
    case 'ELOOP': // O_NOFOLLOW on a symlink
      return { ok: false, reason: 'is a symlink, not a regular file' }
    case 'ENXIO': // a unix socket cannot be opened
      return { ok: false, reason: 'is a socket, not a regular file' }
    case 'EAGAIN':
    case 'EWOULDBLOCK': // O_NONBLOCK and a conflicting lease held by the file's owner
      return { ok: false, reason: 'is leased by its owner; try again' }
    default:
      throw e
  }
}

function refusal(stats: Stats, options: CappedReadOptions): CappedRead | undefined {
  if (!stats.isFile()) return { ok: false, reason: `is ${kindOf(stats)}, not a regular file` }
  if (options.oversize === 'refuse' && stats.size > options.maxBytes) {
    return { ok: false, reason: `is ${stats.size} bytes, over the ${options.maxBytes}-byte limit` }
  }
  return undefined
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory'
  if (stats.isFIFO()) return 'a FIFO'
  if (stats.isCharacterDevice()) return 'a character device'
  if (stats.isBlockDevice()) return 'a block device'
  if (stats.isSocket()) return 'a socket'
  return 'an unknown kind of file'
}

function window(size: number, { maxBytes, oversize }: CappedReadOptions): { start: number; length: number; truncated: boolean } {
  const length = Math.min(size, maxBytes)
  return { start: oversize === 'tail' ? size - length : 0, length, truncated: size > maxBytes }
}
