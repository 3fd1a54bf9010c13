import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/** The `result` line that ends a stream-json run (fields we use; the CLI sends more). */
interface ClaudeResult {
  is_error?: boolean
  result?: string
  duration_ms?: number
  total_cost_usd?: number
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

/** Runs one `claude --print` process to completion, streaming its output lines. */
export function runClaude(input: RunClaudeInput): Promise<ClaudeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(input.bin, input.args, { cwd: input.cwd, env: input.env, stdio: ['pipe', 'pipe', 'pipe'] })
    let result: ClaudeResult | undefined
    let sawPromptTooLong = false
    const stderr: string[] = []

    const onAbort = () => child.kill('SIGINT') // SIGINT lets claude flush a final result line
    input.signal?.addEventListener('abort', onAbort, { once: true })

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
    child.once('error', (err) => {
      input.signal?.removeEventListener('abort', onAbort)
      reject(err)
    })
    child.once('close', (exitCode) => {
      input.signal?.removeEventListener('abort', onAbort)
      const ok = exitCode === 0 && result !== undefined && result.is_error !== true
      resolve({ ok, exitCode, promptTooLong: !ok && sawPromptTooLong, result, stderrTail: stderr.join('\n') })
    })
    child.stdin.end(input.prompt)
  })
}

function isResultLine(json: unknown): json is ClaudeResult {
  return typeof json === 'object' && json !== null && (json as { type?: unknown }).type === 'result'
}
