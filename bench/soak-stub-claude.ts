import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Every soak message body is this prefix and its number. */
export const SOAK_TOKEN_PREFIX = 'soak-'

/** What the stub appends a handled token to, in its cwd (the agent's state dir). */
export const HANDLED_LOG = 'handled.log'

const RESULT_OK = JSON.stringify({
  type: 'result',
  subtype: 'success',
  is_error: false,
  result: 'ok',
  duration_ms: 0,
  total_cost_usd: 0,
  usage: { input_tokens: 1, output_tokens: 1 },
})

/** The CLI's final line when the API answered 529 Overloaded (what turn-failure-class.ts reads). */
const RESULT_OVERLOADED = JSON.stringify({
  type: 'result',
  subtype: 'success',
  is_error: true,
  terminal_reason: 'api_error',
  api_error_status: 529,
  api_error_type: 'overloaded_error',
  result: 'API Error: 529 overloaded',
})

export interface StubClaude {
  bin: string
  /** While this file exists, every run ends as a model outage. */
  outageFlag: string
}

/**
 * A /bin/sh stand-in for `claude` + the model, for the soak. The real CLI costs 1–2 s of CPU per
 * turn, so 20 000 turns in 10 minutes cannot run on this 2-core host; everything around it (daemon,
 * `hive-agent serve`, sockets, SQLite) is the real thing. It reads the wake prompt on stdin,
 * appends the message's token to `handled.log` with one small O_APPEND write (so lines from two
 * runs never interleave), and prints the stream-json `result` line the turn loop reads. While the
 * outage flag exists it prints the CLI's 529 result instead and exits 1, as claude does.
 */
export function writeStubClaude(dir: string): StubClaude {
  const bin = join(dir, 'stub-claude')
  const outageFlag = join(dir, 'model-down')
  if (/['\\]/.test(outageFlag)) throw new Error(`the stub cannot quote ${outageFlag}`)
  // Shell builtins only (no grep/sed): one fork per turn keeps the stub far below the harness's cost.
  const script = `#!/bin/sh
prompt=$(cat)
if [ -e '${outageFlag}' ]; then
  printf '%s\\n' '${RESULT_OVERLOADED}'
  exit 1
fi
rest=\${prompt#*${SOAK_TOKEN_PREFIX}}
if [ "$rest" != "$prompt" ]; then
  printf '%s\\n' "${SOAK_TOKEN_PREFIX}\${rest%%[!0-9]*}" >> ${HANDLED_LOG}
fi
printf '%s\\n' '${RESULT_OK}'
`
  writeFileSync(bin, script)
  chmodSync(bin, 0o755)
  return { bin, outageFlag }
}
