import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import {
  JsonLinesClient,
  Limits,
  mcpToolNames,
  recvResultSchema,
  turnConfigSchema,
  whoamiResultSchema,
  type DeliveredMessage,
} from '@hive/mcp'
import { resolveToolGrant } from '../core/allowed-tools.ts'
import { buildWakePrompt } from '../core/wake-prompt.ts'
import { writeAgentFiles, type AgentFiles } from './agent-files.ts'
import { buildClaudeArgs } from './claude-command.ts'
import { runClaude, type ClaudeRun } from './claude-process.ts'
import { EventForwarder, streamEventKind } from './event-forwarder.ts'

const Loop = {
  /** Socket connect attempts at boot (the daemon may still be binding it). */
  CONNECT_ATTEMPTS: 50,
  CONNECT_RETRY_MS: 200,
  /** Pause after a failed turn so a broken setup does not spin. */
  FAILED_TURN_BACKOFF_MS: 2_000,
  /** Pause while the agent cannot reach its model (no login / bad key): the operator must act. */
  NEEDS_LOGIN_BACKOFF_MS: 60_000,
} as const

export interface TurnLoopOptions {
  socketPath: string
  stateDir: string
  runDir: string
  claudeBin: string
  /** Environment for `claude` (model access, isolated HOME/CLAUDE_CONFIG_DIR). */
  claudeEnv: NodeJS.ProcessEnv
  log: Logger
  signal: AbortSignal
}

/**
 * `hive-agent serve`: long-poll `recv` → wake prompt → one real `claude` turn → forward its stream
 * → record the Turn → ack. Un-acked messages are redelivered after a restart (at-least-once).
 */
export async function runTurnLoop(opts: TurnLoopOptions): Promise<void> {
  const { log, signal } = opts
  const client = await connectWithRetry(opts.socketPath)
  const { name, role } = whoamiResultSchema.parse(await client.call('whoami'))
  const requeued = await client.call('requeue')
  log.info({ agent: name, role, requeued }, 'turn loop started')
  const files = writeAgentFiles(opts.runDir, name, role, opts.socketPath)
  signal.addEventListener('abort', () => client.close(), { once: true })

  while (!signal.aborted) {
    let message: DeliveredMessage | null
    let unread: number
    try {
      ;({ message, unread } = recvResultSchema.parse(
        await client.call('recv', { wait_seconds: Limits.MAX_RECV_WAIT_SECONDS }),
      ))
    } catch (e) {
      if (signal.aborted) break
      throw e
    }
    if (!message) continue
    const outcome = await runTurn(client, files, role, message, unread, opts)
    if (outcome === 'ok') {
      await client.call('ack')
    } else if (outcome === 'needs-login') {
      // Not the message's fault: keep it (no drop after retries) until the agent can reach a model.
      log.error({ agent: name }, 'claude is not logged in / has no valid API key; message kept, retrying later')
      await client.call('requeue')
      await sleep(Loop.NEEDS_LOGIN_BACKOFF_MS, undefined, { signal }).catch(() => undefined)
    } else if (message.redelivered) {
      // Second failure of the same message: give up on it rather than loop forever.
      log.error({ id: message.id, from: message.from }, 'turn failed again on a redelivered message; dropping it')
      await client.call('ack')
    } else {
      await client.call('requeue')
      await sleep(Loop.FAILED_TURN_BACKOFF_MS, undefined, { signal }).catch(() => undefined)
    }
  }
  client.close()
}

async function runTurn(
  client: JsonLinesClient,
  files: AgentFiles,
  role: 'agent' | 'manager',
  message: DeliveredMessage,
  unread: number,
  opts: TurnLoopOptions,
): Promise<TurnOutcome> {
  const { log } = opts
  const config = turnConfigSchema.parse(await client.call('turn_config'))
  const grant = resolveToolGrant(config.bash_patterns, mcpToolNames(role))
  const prompt = buildWakePrompt(message, unread)
  const startedAt = Date.now()
  await client.call('turn_start', { wake_from: message.from, model: config.model })

  const forwarder = new EventForwarder(
    (events) => client.call('turn_events', { events }),
    (e) => log.warn({ err: e }, 'could not forward turn events'),
  )
  const run = (text: string): Promise<ClaudeRun> =>
    runClaude({
      bin: opts.claudeBin,
      args: buildClaudeArgs({ model: config.model, continueSession: true, ...files, grant }),
      prompt: text,
      cwd: opts.stateDir,
      env: opts.claudeEnv,
      signal: opts.signal,
      onLine: (line) => ('json' in line ? forwarder.push(streamEventKind(line.json), line.json) : forwarder.push('text', line.text)),
      onStderr: (line) => forwarder.push('stderr', line),
    })

  let result: ClaudeRun
  try {
    result = await run(prompt)
    if (result.promptTooLong) {
      log.warn({ agent: config.name }, 'prompt too long: compacting the session and retrying once')
      await client.call('compacting', { active: true })
      await run('/compact')
      await client.call('compacting', { active: false })
      result = await run(prompt)
    }
  } catch (e) {
    log.error({ err: e }, 'could not run claude')
    await forwarder.flush()
    await client.call('turn_end', {
      ok: false,
      error: `could not run claude: ${(e as Error).message}`,
      model: config.model,
      wake_from: message.from,
      started_at: startedAt,
      ended_at: Date.now(),
    })
    return 'failed'
  }
  await forwarder.flush()
  const usage = result.result?.usage ?? {}
  await client.call('turn_end', {
    ok: result.ok,
    ...(result.ok ? {} : { error: describeFailure(result) }),
    model: config.model,
    wake_from: message.from,
    started_at: startedAt,
    ended_at: Date.now(),
    tokens_in: usage.input_tokens ?? 0,
    tokens_out: usage.output_tokens ?? 0,
    tokens_cache_read: usage.cache_read_input_tokens ?? 0,
    tokens_cache_write: usage.cache_creation_input_tokens ?? 0,
    cost_usd: result.result?.total_cost_usd ?? 0,
  })
  log.info({ agent: config.name, ok: result.ok, ms: Date.now() - startedAt }, 'turn finished')
  if (result.ok) return 'ok'
  return NEEDS_LOGIN.test(describeFailure(result)) ? 'needs-login' : 'failed'
}

type TurnOutcome = 'ok' | 'failed' | 'needs-login'
const NEEDS_LOGIN = /not logged in|please run \/login|invalid api key|authentication_error/i

function describeFailure(run: ClaudeRun): string {
  const text = run.result?.result ?? run.stderrTail
  return `claude exited ${run.exitCode ?? 'by signal'}${text ? `: ${text}` : ''}`.slice(0, 4000)
}

async function connectWithRetry(socketPath: string): Promise<JsonLinesClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await JsonLinesClient.connect(socketPath)
    } catch (e) {
      if (attempt >= Loop.CONNECT_ATTEMPTS) throw e
      await sleep(Loop.CONNECT_RETRY_MS)
    }
  }
}
