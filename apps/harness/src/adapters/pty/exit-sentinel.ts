import { randomBytes } from 'node:crypto'

/**
 * node-pty 1.1 can drop the tail of a process's output when the slave side closes before it is
 * read (node-pty #72/#726; perf-anchors.md §3.6: 7–13 % of short commands). So every PTY runs
 * its command under a wrapper that, after the command ends, prints a private OSC sentinel with
 * the exit code and lingers until we have read it. Output before the sentinel is complete.
 *
 * The sentinel is `ESC ] 7777 ; exit = <nonce> ; <code> BEL`. The nonce is random per session, so
 * output that merely looks like a sentinel (a `cat` of a hostile file, the operator's own
 * printf) never ends the session, and the scanner holds back at most one sentinel's length.
 */
const Sentinel = {
  OSC: '\x1b]7777;exit=',
  /** Random bytes of the nonce (hex in the sentinel): unguessable by whatever runs in the PTY. */
  NONCE_BYTES: 16,
  /** An exit status is 0–255: three digits at most. */
  MAX_CODE_DIGITS: 3,
  END: 0x07,
  /** How long the wrapper lingers after the sentinel; we kill it as soon as we have read it. */
  LINGER_SECONDS: 5,
} as const

/**
 * Hands the nonce to the wrapper, which unsets it before running the command: the command's
 * children never see it (it is not on the command line either, where `ps` would show it).
 */
export const SENTINEL_NONCE_ENV = 'HIVE_PTY_SENTINEL'

/** A command wrapped to print the sentinel, with the scanner that recognises that sentinel only. */
export interface SentinelLaunch {
  file: string
  args: string[]
  env: NodeJS.ProcessEnv
  scanner: SentinelScanner
}

/** Wraps `argv` (run with `env`) under a fresh sentinel. */
export function launchWithSentinel(argv: readonly string[], env: NodeJS.ProcessEnv): SentinelLaunch {
  const nonce = randomBytes(Sentinel.NONCE_BYTES).toString('hex')
  return {
    file: '/bin/sh',
    args: [
      '-c',
      `n=$${SENTINEL_NONCE_ENV}; unset ${SENTINEL_NONCE_ENV}; "$@"; s=$?; printf '\\033]7777;exit=%s;%d\\007' "$n" "$s"; sleep ${Sentinel.LINGER_SECONDS}; exit "$s"`,
      'hive-pty',
      ...argv,
    ],
    env: { ...env, [SENTINEL_NONCE_ENV]: nonce },
    scanner: new SentinelScanner(nonce),
  }
}

/**
 * Scans output for the sentinel with this nonce, which may arrive split across chunks. `feed`
 * returns the bytes to pass on (sentinel removed) and, once seen, the exit code. Anything that
 * is not exactly the sentinel passes through, and at most one sentinel's length is held back.
 */
export class SentinelScanner {
  /** `ESC]7777;exit=<nonce>;`: the exit code digits and BEL follow. */
  private readonly marker: Buffer
  private held: Buffer = Buffer.alloc(0)
  private done = false

  constructor(nonce: string) {
    this.marker = Buffer.from(`${Sentinel.OSC}${nonce};`)
  }

  feed(chunk: Buffer): { output: Buffer; exitCode?: number } {
    if (this.done) return { output: Buffer.alloc(0) }
    const data = this.held.length ? Buffer.concat([this.held, chunk]) : chunk
    this.held = Buffer.alloc(0)
    for (let from = 0; ; ) {
      const at = data.indexOf(this.marker, from)
      if (at < 0) break
      const code = exitCodeAt(data, at + this.marker.length)
      if (code === 'incomplete') {
        this.held = data.subarray(at)
        return { output: data.subarray(0, at) }
      }
      if (code !== 'none') {
        this.done = true
        return { output: data.subarray(0, at), exitCode: code }
      }
      from = at + 1 // the marker, but not followed by a code: ordinary output
    }
    // Hold back a possible partial marker at the end of the chunk.
    const keep = this.partialMarkerLength(data)
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

  private partialMarkerLength(data: Buffer): number {
    const marker = this.marker
    // Hot path (every PTY read): almost no chunk ends near an ESC, so look for one first.
    if (data.indexOf(0x1b, Math.max(0, data.length - marker.length + 1)) < 0) return 0
    for (let n = Math.min(marker.length - 1, data.length); n > 0; n--) {
      if (data.subarray(data.length - n).equals(marker.subarray(0, n))) return n
    }
    return 0
  }
}

/** The exit code written from `start` on (digits, then BEL), or whether more bytes could make one. */
function exitCodeAt(data: Buffer, start: number): number | 'incomplete' | 'none' {
  for (let i = start; i < data.length; i++) {
    const byte = data[i]
    if (byte === Sentinel.END) return i > start ? Number(data.subarray(start, i).toString('latin1')) : 'none'
    if (byte === undefined || byte < 0x30 || byte > 0x39 || i - start >= Sentinel.MAX_CODE_DIGITS) return 'none'
  }
  return 'incomplete'
}
