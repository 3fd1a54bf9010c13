import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { JsonLinesClient, Limits, agentOps, mcpToolNames, type DeliveredMessage, type TerminalRequest, type TurnConfig } from '@hive/mcp'
import { resolveToolGrant } from '../domain/allowed-tools.ts'
import { buildWakePrompt } from '../domain/wake-prompt.ts'
import { writeAgentFiles, type AgentFiles } from './agent-files.ts'
import { buildClaudeArgs } from '../adapters/claude-command.ts'
import { runClaude, type ClaudeRun, type RunClaudeInput } from './claude-process.ts'
import { EventForwarder, streamEventKind } from './event-forwarder.ts'
import { compactNotes, notesOverLimit } from './notes-compactor.ts'
import { SerialLock } from '../domain/serial-lock.ts'

const Loop = {
  /** Socket connect attempts at boot (the daemon may still be binding it). */
  CONNECT_ATTEMPTS: 50,
  CONNECT_RETRY_MS: 200,
  /** Pause after a failed turn so a broken setup does not spin. */
  FAILED_TURN_BACKOFF_MS: 2_000,
  /** Pause while the agent cannot reach its model (no login / bad key): the operator must act. */
  NEEDS_LOGIN_BACKOFF_MS: 60_000,
} as const

const MANAGER_AGENTS_DIR = '/agents'

const NEEDS_LOGIN = /not logged in|please run \/login|invalid api key|authentication_error/i

type TurnOutcome = 'ok' | 'failed' | 'cancelled' | 'needs-login'

export interface TurnLoopOptions {
  socketPath: string
  stateDir: string
  runDir: string
  claudeBin: string
  /** Environment for `claude` (model access, isolated HOME/CLAUDE_CONFIG_DIR). */
  claudeEnv: NodeJS.ProcessEnv
  log: Logger
  signal: AbortSignal
  /** Where terminal requests go (terminal-host.ts): the operator's terminals run in the payload. */
  terminals: { open(request: TerminalRequest): void }
}

/**
 * `hive-agent serve`: long-poll `recv` → wake prompt → one real `claude` turn → forward its stream
 * → record the Turn → ack. Un-acked messages are redelivered after a restart (at-least-once).
 * Beside it, a control loop takes the operator's cancel / compact / new-session commands and
 * the terminals the operator opens.
 */
export async function runTurnLoop(opts: TurnLoopOptions): Promise<void> {
  const loop = await TurnLoop.connect(opts)
  await loop.run()
}

type AgentClient = JsonLinesClient<typeof agentOps>

class TurnLoop {
  private readonly lock = new SerialLock()
  private currentTurn: AbortController | undefined
  private skipContinue = false

  private constructor(
    private readonly client: AgentClient,
    private readonly name: string,
    private readonly role: 'agent' | 'manager',
    private readonly files: AgentFiles,
    private readonly opts: TurnLoopOptions,
  ) {}

  static async connect(opts: TurnLoopOptions): Promise<TurnLoop> {
    const client = await connectWithRetry(opts.socketPath)
    const { name, role } = await client.call('whoami')
    const { requeued } = await client.call('requeue')
    opts.log.info({ agent: name, role, requeued }, 'turn loop started')
    const files = writeAgentFiles(opts.runDir, name, role, opts.socketPath)
    opts.signal.addEventListener('abort', () => client.close(), { once: true })
    return new TurnLoop(client, name, role, files, opts)
  }

  async run(): Promise<void> {
    const control = this.controlLoop().catch((e: unknown) => {
      if (!this.opts.signal.aborted) this.opts.log.warn({ err: e }, 'control loop stopped')
    })
    try {
      await this.messageLoop()
    } finally {
      this.client.close()
      await control
    }
  }

  private async messageLoop(): Promise<void> {
    const { signal, log } = this.opts
    while (!signal.aborted) {
      let message: DeliveredMessage | null
      let unread: number
      try {
        ;({ message, unread } = await this.client.call('recv', { wait_seconds: Limits.MAX_RECV_WAIT_SECONDS }))
      } catch (e) {
        if (signal.aborted) return
        throw e
      }
      if (!message) continue
      const wake = message
      const outcome = await this.lock.run(() => this.turn(wake, unread))
      if (outcome === 'ok' || outcome === 'cancelled') {
        await this.client.call('ack')
        if (outcome === 'ok') await this.lock.run(() => this.compactNotesIfBig())
      } else if (outcome === 'needs-login') {
        // Not the message's fault: keep it (no drop after retries) until the agent can reach a model.
        log.error({ agent: this.name }, 'claude is not logged in / has no valid API key; message kept, retrying later')
        await this.client.call('requeue')
        await sleep(Loop.NEEDS_LOGIN_BACKOFF_MS, undefined, { signal }).catch(() => undefined)
      } else if (message.redelivered) {
        // Second failure of the same message: give up on it rather than loop forever.
        log.error({ id: message.id, from: message.from }, 'turn failed again on a redelivered message; dropping it')
        await this.client.call('ack')
      } else {
        await this.client.call('requeue')
        await sleep(Loop.FAILED_TURN_BACKOFF_MS, undefined, { signal }).catch(() => undefined)
      }
    }
  }

  private async controlLoop(): Promise<void> {
    while (!this.opts.signal.aborted) {
      const message = await this.client.call('control_wait', { wait_seconds: Limits.MAX_RECV_WAIT_SECONDS })
      if (message.command === 'open_terminal') {
        this.opts.terminals.open(message.terminal)
        continue
      }
      const { command } = message
      if (command === 'cancel') {
        this.opts.log.info({ agent: this.name }, 'operator cancelled the turn')
        this.currentTurn?.abort()
      } else if (command === 'new_session') {
        this.skipContinue = true
      } else if (command === 'compact') {
        void this.lock.run(async () => {
          const config = await this.client.call('turn_config')
          const forwarder = this.forwarder()
          await this.compact(config, forwarder)
          await forwarder.flush()
        })
      }
    }
  }

  private async turn(message: DeliveredMessage, unread: number): Promise<TurnOutcome> {
    const { log } = this.opts
    const config = await this.client.call('turn_config')
    const prompt = buildWakePrompt(message, unread)
    const startedAt = Date.now()
    await this.client.call('turn_start')
    const forwarder = this.forwarder()
    const abort = new AbortController()
    this.currentTurn = abort
    const end = async (ok: boolean, extra: Record<string, unknown>) => {
      await forwarder.flush()
      await this.client.call('turn_end', {
        ok,
        model: config.model,
        wake_from: message.from,
        started_at: startedAt,
        ended_at: Date.now(),
        ...extra,
      })
    }

    let result: ClaudeRun
    try {
      const fresh = this.skipContinue
      this.skipContinue = false
      result = await this.claude(config, forwarder, prompt, abort.signal, !fresh)
      if (result.promptTooLong && !abort.signal.aborted) {
        log.warn({ agent: this.name }, 'prompt too long: compacting the session and retrying once')
        await this.compact(config, forwarder)
        result = await this.claude(config, forwarder, prompt, abort.signal, true)
      }
    } catch (e) {
      log.error({ err: e }, 'could not run claude')
      await end(false, { error: `could not run claude: ${(e as Error).message}` })
      return 'failed'
    } finally {
      this.currentTurn = undefined
    }
    const usage = result.result?.usage ?? {}
    const cancelled = abort.signal.aborted
    await end(result.ok, {
      ...(result.ok ? {} : { error: cancelled ? 'cancelled by the operator' : describeFailure(result) }),
      tokens_in: usage.input_tokens ?? 0,
      tokens_out: usage.output_tokens ?? 0,
      tokens_cache_read: usage.cache_read_input_tokens ?? 0,
      tokens_cache_write: usage.cache_creation_input_tokens ?? 0,
      cost_usd: result.result?.total_cost_usd ?? 0,
    })
    log.info({ agent: this.name, ok: result.ok, cancelled, ms: Date.now() - startedAt }, 'turn finished')
    if (result.ok) return 'ok'
    if (cancelled) return 'cancelled'
    return NEEDS_LOGIN.test(describeFailure(result)) ? 'needs-login' : 'failed'
  }

  private async compact(config: TurnConfig, forwarder: EventForwarder): Promise<void> {
    await this.client.call('compacting', { active: true })
    try {
      await this.claude(config, forwarder, '/compact', this.opts.signal, true)
    } finally {
      await this.client.call('compacting', { active: false })
    }
  }

  /** Between turns: notes.md over its limit is rewritten by a second, tool-less claude session. */
  private async compactNotesIfBig(): Promise<void> {
    const { log, stateDir, runDir } = this.opts
    const config = await this.client.call('turn_config')
    if (!notesOverLimit(stateDir, config.notes_compact_bytes)) return
    await this.client.call('compacting', { active: true })
    const forwarder = this.forwarder()
    try {
      const outcome = await compactNotes({
        stateDir,
        workDir: join(runDir, 'notes-compactor'),
        limitBytes: config.notes_compact_bytes,
        model: config.model,
        run: (input) =>
          runClaude({
            ...input,
            bin: this.opts.claudeBin,
            env: this.opts.claudeEnv,
            signal: this.opts.signal,
            onLine: forwardLine(forwarder),
          }),
      })
      if ('skipped' in outcome) {
        log.warn({ agent: this.name, reason: outcome.skipped }, 'notes left as they are')
      } else {
        log.info({ agent: this.name, ...outcome }, 'notes compacted')
        await this.client.call('notes_compacted', { bytes_before: outcome.bytesBefore, bytes_after: outcome.bytesAfter })
      }
    } catch (e) {
      log.warn({ err: e, agent: this.name }, 'notes compaction failed; notes left as they are')
    } finally {
      await forwarder.flush()
      await this.client.call('compacting', { active: false })
    }
  }

  private claude(
    config: TurnConfig,
    forwarder: EventForwarder,
    prompt: string,
    signal: AbortSignal,
    continueSession: boolean,
  ): Promise<ClaudeRun> {
    const grant = resolveToolGrant(config.bash_patterns, mcpToolNames(this.role))
    return runClaude({
      bin: this.opts.claudeBin,
      args: buildClaudeArgs({ model: config.model, continueSession, ...this.files, grant, addDirs: this.extraDirs() }),
      prompt,
      cwd: this.opts.stateDir,
      env: this.opts.claudeEnv,
      signal: AbortSignal.any([signal, this.opts.signal]),
      onLine: forwardLine(forwarder),
      onStderr: (line) => forwarder.push('stderr', line),
    })
  }

  /** In its container the manager edits other agents' config repos under /agents. */
  private extraDirs(): string[] {
    return this.role === 'manager' && existsSync(MANAGER_AGENTS_DIR) ? [MANAGER_AGENTS_DIR] : []
  }

  private forwarder(): EventForwarder {
    return new EventForwarder(
      (events) => this.client.call('turn_events', { events }),
      (e) => this.opts.log.warn({ err: e }, 'could not forward turn events'),
    )
  }
}

/** Every stdout line of a `claude` run goes to the dashboard's live stream. */
function forwardLine(forwarder: EventForwarder): RunClaudeInput['onLine'] {
  return (line) => ('json' in line ? forwarder.push(streamEventKind(line.json), line.json) : forwarder.push('text', line.text))
}

function describeFailure(run: ClaudeRun): string {
  const text = run.result?.result ?? run.stderrTail
  return `claude exited ${run.exitCode ?? 'by signal'}${text ? `: ${text}` : ''}`.slice(0, 4000)
}

async function connectWithRetry(socketPath: string): Promise<AgentClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await JsonLinesClient.connect(socketPath, agentOps)
    } catch (e) {
      if (attempt >= Loop.CONNECT_ATTEMPTS) throw e
      await sleep(Loop.CONNECT_RETRY_MS)
    }
  }
}
