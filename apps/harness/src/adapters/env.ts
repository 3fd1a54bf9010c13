import { resolve } from 'node:path'
import { z } from 'zod'

/**
 * The harness's environment, parsed once. Everything else reads `env`, never `process.env`,
 * so a typo in a variable fails at start with the variable's name.
 */
const envSchema = z.object({
  /** State root (database, sockets, agent dirs). */
  HIVE_HOME: z.string().min(1).default('.hive'),
  HIVE_HOST: z.string().min(1).default('127.0.0.1'),
  /** 0 picks a free port (tests); the chosen one is printed in the login URL. */
  HIVE_PORT: z.coerce.number().int().min(0).max(65535).default(7000),
  /** Container runtime: auto picks nspawn as root with systemd-nspawn, else process. */
  HIVE_RUNTIME: z.enum(['auto', 'process', 'nspawn', 'nixos-container']).default('auto'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** In-container side (`hive-agent`): the agent's socket, state and runtime dirs. */
  HIVE_SOCKET: z.string().min(1).default('/run/hive/mcp.sock'),
  HIVE_STATE_DIR: z.string().min(1).default('/state'),
  HIVE_RUN_DIR: z.string().min(1).default('/run/hive'),
  /** Path of the `claude` executable; default: the `@anthropic-ai/claude-code` dependency. */
  HIVE_CLAUDE_BIN: z.string().min(1).optional(),
  /** Acked messages older than this many days are deleted (the broker stays bounded). */
  HIVE_MESSAGE_RETENTION_DAYS: z.coerce.number().min(1).max(3650).default(14),
  /** Enables test-only conveniences (HIVE_TEST_CLOCK_SCALE). Never set in production. */
  HIVE_TEST_MODE: z
    .enum(['0', '1'])
    .default('0')
    .transform((v) => v === '1'),
  /** Test clock: question TTLs run this many times faster; ignored unless HIVE_TEST_MODE=1. */
  HIVE_TEST_CLOCK_SCALE: z.coerce.number().min(1).max(10_000).default(1),
})

export type Env = z.infer<typeof envSchema>

function parseEnv(): Env {
  // eslint-disable-next-line no-restricted-properties -- the one place that reads process.env
  const parsed = envSchema.safeParse(process.env)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')
    process.stderr.write(`invalid environment:\n${issues}\n`)
    process.exit(2)
  }
  return { ...parsed.data, HIVE_HOME: resolve(parsed.data.HIVE_HOME) }
}

export const env = parseEnv()

/**
 * Variables handed through to agents so that `claude` reaches its model: API key / base URL
 * (tests point it at the fake model) and the CLI's own switches. Nothing else leaks in.
 */
export function modelEnvPassthrough(): Record<string, string> {
  const out: Record<string, string> = {}
  // eslint-disable-next-line no-restricted-properties -- forwarding a fixed allow-list, not config
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && (/^ANTHROPIC_/.test(k) || /^CLAUDE_CODE_/.test(k) || k === 'DISABLE_AUTOUPDATER')) out[k] = v
  }
  return out
}
