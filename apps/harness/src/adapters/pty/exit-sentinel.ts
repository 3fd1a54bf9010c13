/**
 * node-pty 1.1 can drop the tail of a process's output when the slave side closes before it is
 * read (node-pty #72/#726; perf-anchors.md §3.6: 7–13 % of short commands). So every PTY runs
 * its command under a wrapper that, after the command ends, prints a private OSC sentinel with
 * the exit code and lingers until we have read it. Output before the sentinel is complete.
 */
const SENTINEL_PREFIX = Buffer.from('\x1b]7777;exit=')
const SENTINEL_END = 0x07

/** How long the wrapper lingers after the sentinel; we kill it as soon as we have read it. */
const LINGER_SECONDS = 5

export function wrapWithSentinel(argv: readonly string[]): string[] {
  return [
    '/bin/sh',
    '-c',
    `"$@"; s=$?; printf '\\033]7777;exit=%d\\007' "$s"; sleep ${LINGER_SECONDS}; exit "$s"`,
    'hive-pty',
    ...argv,
  ]
}

/**
 * Scans output for the sentinel, which may arrive split across chunks. `feed` returns the bytes
 * to pass on (sentinel removed) and, once seen, the exit code.
 */
export class SentinelScanner {
  private held: Buffer = Buffer.alloc(0)
  private done = false

  feed(chunk: Buffer): { output: Buffer; exitCode?: number } {
    if (this.done) return { output: Buffer.alloc(0) }
    const data = this.held.length ? Buffer.concat([this.held, chunk]) : chunk
    this.held = Buffer.alloc(0)
    const at = data.indexOf(SENTINEL_PREFIX)
    if (at >= 0) {
      const end = data.indexOf(SENTINEL_END, at + SENTINEL_PREFIX.length)
      if (end < 0) {
        this.held = data.subarray(at)
        return { output: data.subarray(0, at) }
      }
      this.done = true
      const code = Number(data.subarray(at + SENTINEL_PREFIX.length, end).toString())
      return { output: data.subarray(0, at), exitCode: Number.isFinite(code) ? code : 1 }
    }
    // Hold back a possible partial prefix at the end of the chunk.
    const keep = partialPrefixLength(data)
    if (keep > 0) {
      this.held = data.subarray(data.length - keep)
      return { output: data.subarray(0, data.length - keep) }
    }
    return { output: data }
  }

  /** Whatever is held back when the process ends without a sentinel (killed). */
  flush(): Buffer {
    const rest = this.held
    this.held = Buffer.alloc(0)
    return rest
  }
}

function partialPrefixLength(data: Buffer): number {
  // Hot path (every PTY read): almost no chunk ends near an ESC, so look for one first.
  if (data.indexOf(0x1b, Math.max(0, data.length - SENTINEL_PREFIX.length + 1)) < 0) return 0
  for (let n = Math.min(SENTINEL_PREFIX.length - 1, data.length); n > 0; n--) {
    if (data.subarray(data.length - n).equals(SENTINEL_PREFIX.subarray(0, n))) return n
  }
  return 0
}
