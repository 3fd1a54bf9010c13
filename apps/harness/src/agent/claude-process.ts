import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'

/** The `result` line that ends a stream-json run (fields we use; the CLI sends more). */
interface ClaudeResult {
  is_error?: boolean
  result?: string
  duration_ms?: number
  total_cost_usd?: number
  /** The API's HTTP status when the run ended on an API error (null: no answer, e.g. network). */
  api_error_status?: number | null
  api_error_type?: string
  /** `api_error` when the run ended because the API could not be used. */
  terminal_reason?: string
  usage?: {
    input_tokens?: number
    output_tokens?: number
    cache_read_input_tokens?: number
    cache_creation_input_tokens?: number
  }
}

export interface ClaudeRun {
  ok: boolean
  exitCode: number | null
  /** The signal that ended it, when one did (an escalated cancel ends in SIGKILL). */
  exitSignal: NodeJS.Signals | null
  /**
   * The run failed because the session no longer fits the context window (the CLI's own
   * auto-compaction did not save it): compact and retry.
   */
  promptTooLong: boolean
  result: ClaudeResult | undefined
  /** Last lines of stderr, for the Turn's error. */
  stderrTail: string
}

export interface RunClaudeInput {
  bin: string
  args: string[]
  prompt: string
  cwd: string
  env: NodeJS.ProcessEnv
  /** Every stdout line, parsed when it is JSON (stream-json), raw text otherwise. */
  onLine: (line: { json: unknown } | { text: string }) => void
  onStderr?: (line: string) => void
  signal?: AbortSignal
}

const PROMPT_TOO_LONG = /prompt is too long/i
const STDERR_TAIL_LINES = 20

/**
 * Stopping a run: SIGINT first (claude flushes a final result line), then SIGTERM, then SIGKILL,
 * each to the whole process group so tool commands go too.
 */
const StopEscalation = {
  TERM_AFTER_MS: 3_000,
  KILL_AFTER_MS: 6_000,
  /** After the process exited, how long its pipes may stay open (a stray grandchild holding them). */
  PIPE_DRAIN_MS: 5_000,
} as const

/** With it, claude dies with us even when we are SIGKILLed (it runs in its own process group). */
const SETPRIV = '/usr/bin/setpriv'

/** Runs one `claude --print` process to completion, streaming its output lines. */
export function runClaude(input: RunClaudeInput): Promise<ClaudeRun> {
  return new Promise((resolve, reject) => {
    const [command, args] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', input.bin, ...input.args]] : [input.bin, input.args]
    // Its own process group: a cancel reaches claude's tool commands, not us.
    const child = spawn(command, args, { cwd: input.cwd, env: input.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    let result: ClaudeResult | undefined
    let sawPromptTooLong = false
    const stderr: string[] = []
    const timers: NodeJS.Timeout[] = []
    let settled = false

    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig)
      } catch {
        // ESRCH: the group is gone already.
      }
    }
    const onAbort = () => {
      signalGroup('SIGINT')
      timers.push(setTimeout(() => signalGroup('SIGTERM'), StopEscalation.TERM_AFTER_MS))
      timers.push(setTimeout(() => signalGroup('SIGKILL'), StopEscalation.KILL_AFTER_MS))
    }
    if (input.signal?.aborted) onAbort()
    else input.signal?.addEventListener('abort', onAbort, { once: true })

    const finish = (exitCode: number | null, exitSignal: NodeJS.Signals | null) => {
      if (settled) return
      settled = true
      for (const t of timers) clearTimeout(t)
      input.signal?.removeEventListener('abort', onAbort)
      // Whatever of the group outlived claude after a stop (a tool command ignoring signals).
      if (input.signal?.aborted) signalGroup('SIGKILL')
      const ok = exitCode === 0 && result !== undefined && result.is_error !== true
      resolve({ ok, exitCode, exitSignal, promptTooLong: !ok && sawPromptTooLong, result, stderrTail: stderr.join('\n') })
    }

    createInterface({ input: child.stdout }).on('line', (line) => {
      if (PROMPT_TOO_LONG.test(line)) sawPromptTooLong = true
      let json: unknown
      try {
        json = JSON.parse(line)
      } catch {
        input.onLine({ text: line })
        return
      }
      if (isResultLine(json)) result = json
      input.onLine({ json })
    })
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (PROMPT_TOO_LONG.test(line)) sawPromptTooLong = true
      stderr.push(line)
      if (stderr.length > STDERR_TAIL_LINES) stderr.shift()
      input.onStderr?.(line)
    })
    child.stdin.on('error', () => undefined) // EPIPE when claude exits before reading the prompt
    child.once('error', (err) => {
      if (settled) return
      settled = true
      for (const t of timers) clearTimeout(t)
      input.signal?.removeEventListener('abort', onAbort)
      reject(err)
    })
    child.once('exit', (code, signal) => {
      // A stopped run's escalation ends here, not seconds later at a process group id the
      // system may have handed to someone else: what is left of the group is killed now.
      if (input.signal?.aborted) {
        for (const t of timers.splice(0)) clearTimeout(t)
        signalGroup('SIGKILL')
      }
      // 'close' waits for the pipes; a grandchild holding them must not wedge the turn.
      timers.push(
        setTimeout(() => {
          child.stdout.destroy()
          child.stderr.destroy()
          finish(code, signal)
        }, StopEscalation.PIPE_DRAIN_MS),
      )
    })
    child.once('close', (code, signal) => finish(code, signal))
    child.stdin.end(input.prompt)
  })
}

function isResultLine(json: unknown): json is ClaudeResult {
  return typeof json === 'object' && json !== null && (json as { type?: unknown }).type === 'result'
}
