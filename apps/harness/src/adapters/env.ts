import { resolve } from 'node:path'
import * as z from 'zod'
import { ContainerNet } from '../domain/container-net.ts'

/**
 * The harness's environment, parsed once. Everything else reads `env`, never `process.env`,
 * so a typo in a variable fails at start with the variable's name.
 */
const envSchema = z.object({
  /** State root (database, sockets, agent dirs). */
  HIVE_HOME: z.string().min(1).default('.hive'),
  HIVE_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Names the daemon is also reached by (behind a TLS proxy), comma-separated. A request whose
   * Host is none of these, a loopback name or HIVE_HOST is refused (DNS rebinding).
   */
  HIVE_PUBLIC_HOST: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    ),
  /** 0 picks a free port (tests); the chosen one is printed in the login URL. */
  HIVE_PORT: z.coerce.number().int().min(0).max(65535).default(7000),
  /** Container runtime: auto picks nixos-container as root on NixOS, nspawn as root with systemd-nspawn, else process. */
  HIVE_RUNTIME: z.enum(['auto', 'process', 'nspawn', 'nixos-container']).default('auto'),
  /** nixos-container runtime: the nixpkgs agent containers are built from (services.hyperhive sets the host's). */
  HIVE_NIXPKGS: z.string().startsWith('/', 'HIVE_NIXPKGS must be an absolute path').optional(),
  /** The system bus; where systemd answers on it, nspawn containers run as transient units. */
  DBUS_SYSTEM_BUS_ADDRESS: z.string().min(1).default('unix:path=/var/run/dbus/system_bus_socket'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** In-container side (`hive-agent`): the agent's socket, state and runtime dirs. */
  HIVE_SOCKET: z.string().min(1).default('/run/hive/mcp.sock'),
  HIVE_STATE_DIR: z.string().min(1).default('/state'),
  HIVE_RUN_DIR: z.string().min(1).default('/run/hive'),
  /** Manager only: every agent's dir (`<dir>/<name>/config`), where `commit_config` commits. */
  HIVE_AGENTS_DIR: z.string().min(1).optional(),
  /** Author and committer of the manager's config commits; default the agent's name. */
  GIT_AUTHOR_NAME: z.string().min(1).optional(),
  GIT_AUTHOR_EMAIL: z.string().min(1).optional(),
  GIT_COMMITTER_NAME: z.string().min(1).optional(),
  GIT_COMMITTER_EMAIL: z.string().min(1).optional(),
  /** In-container side: the model gateway's socket, relayed by a forwarder on 127.0.0.1:HIVE_FORWARDER_PORT. */
  HIVE_GATEWAY_SOCKET: z.string().min(1).optional(),
  HIVE_FORWARDER_PORT: z.coerce.number().int().min(1).max(65535).default(ContainerNet.FORWARDER_PORT),
  /** Where the daemon's model gateway sends agents' requests (the tests' fake model, or the API). */
  ANTHROPIC_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.anthropic.com'),
  /** Path of the `claude` executable; default: the `@anthropic-ai/claude-code` dependency. */
  HIVE_CLAUDE_BIN: z.string().min(1).optional(),
  /** Acked messages older than this many days are deleted (the broker stays bounded). */
  HIVE_MESSAGE_RETENTION_DAYS: z.coerce.number().min(1).max(3650).default(14),
  /** A dashboard session unused this long is gone (fractions allowed: tests use seconds). */
  HIVE_SESSION_IDLE_HOURS: z.coerce.number().positive().max(24 * 365).default(12),
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

let parsedEnv: Env | undefined
const parsed = (): Env => (parsedEnv ??= parseEnv())

/**
 * Parsed on its first read, not at import: the CLI's startup snapshot (scripts/build.mjs) loads
 * this module when it is built, and must see the environment of each run, not the build's.
 */
export const env: Env = new Proxy({} as Env, {
  get: (_target, key) => parsed()[key as keyof Env],
  has: (_target, key) => key in parsed(),
  ownKeys: () => Reflect.ownKeys(parsed()),
  getOwnPropertyDescriptor: (_target, key) => Reflect.getOwnPropertyDescriptor(parsed(), key),
})

/** Secrets of the operator that reach the model only through the gateway, never a container. */
const OPERATOR_SECRETS = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN'] as const

/** The operator's model credentials, as the gateway adds them on the host side. */
export interface OperatorCredentials {
  apiKey?: string
  authToken?: string
  oauthToken?: string
}

export function operatorCredentials(): OperatorCredentials {
  // eslint-disable-next-line no-restricted-properties -- secrets are read where they are used, never stored in env
  const { ANTHROPIC_API_KEY: apiKey, ANTHROPIC_AUTH_TOKEN: authToken, CLAUDE_CODE_OAUTH_TOKEN: oauthToken } = process.env
  return { ...(apiKey ? { apiKey } : {}), ...(authToken ? { authToken } : {}), ...(oauthToken ? { oauthToken } : {}) }
}

/**
 * The model variables for an isolated container, by allow-list: the CLI's own switches and model
 * choices. Nothing else of the operator's `ANTHROPIC_*` (keys, tokens, custom headers, the
 * upstream URL) enters a container; the gateway applies those on the host side.
 */
export function isolatedModelEnv(): Record<string, string> {
  const safe = /^(CLAUDE_CODE_(?!OAUTH_TOKEN$)[A-Z0-9_]+|DISABLE_[A-Z0-9_]+|ANTHROPIC_(MODEL|SMALL_FAST_MODEL|DEFAULT_[A-Z]+_MODEL))$/
  return Object.fromEntries(Object.entries(modelEnvPassthrough()).filter(([k]) => safe.test(k) && !(OPERATOR_SECRETS as readonly string[]).includes(k)))
}

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
