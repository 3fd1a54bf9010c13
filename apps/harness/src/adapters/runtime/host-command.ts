import { spawn } from 'node:child_process'
import { basename } from 'node:path'
import { HiveError, HiveErrorCode } from '@hive/mcp'

const Output = {
  /** stdout kept for the caller (systemctl show answers are a few hundred bytes). */
  MAX_STDOUT_BYTES: 64 * 1024,
  /** The end of stderr kept for an error message: a nix build can log megabytes before it fails. */
  MAX_STDERR_TAIL_BYTES: 16 * 1024,
  /** Lines of that tail quoted in the error. */
  ERROR_LINES: 15,
  /** After the timeout's SIGTERM, SIGKILL follows this much later. */
  KILL_AFTER_MS: 5_000,
} as const

export interface HostCommandOptions {
  env: NodeJS.ProcessEnv
  timeoutMs: number
}

/**
 * Runs a host tool (nixos-container, systemctl) to completion within `timeoutMs`, keeping a
 * bounded head of stdout and tail of stderr. Resolves with stdout; a failure, a signal or the
 * timeout is a HiveError quoting the tool's last words.
 */
export function runHostCommand(argv: readonly string[], opts: HostCommandOptions): Promise<string> {
  const [command, ...args] = argv
  if (!command) throw new Error('empty argv')
  const what = [basename(command), ...args.slice(0, 2)].join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = Buffer.alloc(0)
    let stderr = Buffer.alloc(0)
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < Output.MAX_STDOUT_BYTES) stdout = Buffer.concat([stdout, chunk]).subarray(0, Output.MAX_STDOUT_BYTES)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk])
      if (stderr.length > Output.MAX_STDERR_TAIL_BYTES) stderr = stderr.subarray(stderr.length - Output.MAX_STDERR_TAIL_BYTES)
    })
    let timedOut = false
    let killer: NodeJS.Timeout | undefined
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGTERM')
      killer = setTimeout(() => child.kill('SIGKILL'), Output.KILL_AFTER_MS)
    }, opts.timeoutMs)
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(new HiveError(HiveErrorCode.Internal, `${what}: cannot run it (${err.message})`, { cause: err }))
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      clearTimeout(killer)
      if (code === 0 && !timedOut) return resolve(stdout.toString('utf8'))
      const why = timedOut ? `timed out after ${opts.timeoutMs} ms` : code === null ? `killed by ${signal ?? 'a signal'}` : `exit ${code}`
      const said = stderr.toString('utf8').trim().split('\n').slice(-Output.ERROR_LINES).join('\n')
      reject(new HiveError(HiveErrorCode.Internal, `${what} failed (${why})${said ? `:\n${said}` : ''}`))
    })
  })
}
