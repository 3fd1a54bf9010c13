import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import {
  HiveErrorCode,
  isHiveError,
  JsonLinesClient,
  Limits,
  agentOps,
  mcpToolNames,
  type DeliveredMessage,
  type OpOutput,
  type TerminalRequest,
  type TurnConfig,
  type TurnFailure,
} from '@hive/mcp'
import { resolveToolGrant } from '../domain/allowed-tools.ts'
import { classifyFailedRun } from '../domain/turn-failure-class.ts'
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
  /** The daemon's answer to a failed turn says how long to wait; never longer than this. */
  MAX_RETRY_WAIT_MS: 60 * 60_000,
  /** After a daemon call failed on a live connection (a busy database, a daemon bug): backoff bounds. */
  RECOVER_FIRST_MS: 1000,
  RECOVER_MAX_MS: 30_000,
  /** Tries of a call that ends a turn (turn_end, ack, turn_failed) before the turn is given up on. */
  SETTLE_ATTEMPTS: 3,
} as const

const MANAGER_AGENTS_DIR = '/agents'

type TurnOutcome =
  | { kind: 'ok' }
  | { kind: 'cancelled' }
  /** The agent is stopping: leave the lease, it is requeued when the agent is back. */
  | { kind: 'interrupted' }
  | { kind: 'failed'; failure: TurnFailure; error: string; apiStatus?: number }

export interface TurnLoopOptions {
  socketPath: string
  /** The MCP server this serve hosts, which each turn's `hive-agent mcp --relay` pipes to. */
  mcpRelaySocket: string
  stateDir: string
  runDir: string
  claudeBin: string
  /** Environment for `claude` (model access, isolated HOME/CLAUDE_CONFIG_DIR). */
  claudeEnv: NodeJS.ProcessEnv
  log: Logger
  /** The agent is stopping (SIGTERM, or its daemon is gone): a running claude is stopped too. */
  signal: AbortSignal
  /**
   * The connection to the daemon closed: nobody will take this agent's work any more, so it must
   * stop, and its container with it (a unit on a systemd host outlives a SIGKILLed daemon).
   */
  onDaemonGone: () => void
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
  /** The claude run in progress (a turn, `/compact` or notes compaction): what cancel stops. */
  private running: AbortController | undefined
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
    const files = writeAgentFiles(opts.runDir, name, role, opts.mcpRelaySocket)
    opts.signal.addEventListener('abort', () => client.close(), { once: true })
    client.onClose(() => opts.onDaemonGone())
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
      // An operator's /compact runs under the lock, awaited by nobody: its claude must be down
      // (stopped through the same signal) before serve exits and pdeathsig kills it mid-write.
      await this.lock.run(() => Promise.resolve())
    }
  }

  /**
   * A daemon call that fails while the connection stays up (TIMEOUT on a database another process
   * holds, an INTERNAL bug) must not end the agent. The calls that end a turn are tried again
   * first (settle); when an iteration still fails, its leases are settled after a backoff: a busy
   * database is not the message's fault, so they go back to the queue untouched; any other error
   * counts as a turn error against them, so a message the daemon keeps failing on ends in the dead
   * letters instead of running for ever. A closed connection ends the loop: the daemon is gone.
   */
  private async messageLoop(): Promise<void> {
    const { signal, log } = this.opts
    let failures = 0
    let inDoubt: Error | undefined
    while (!signal.aborted) {
      try {
        if (inDoubt) {
          await this.settleLeases(inDoubt)
          inDoubt = undefined
        }
        await this.nextMessage()
        failures = 0
      } catch (e) {
        if (signal.aborted) return
        if (this.client.closed) throw e
        inDoubt = e instanceof Error ? e : new Error(String(e))
        failures++
        const waitMs = Math.min(Loop.RECOVER_FIRST_MS * 2 ** (failures - 1), Loop.RECOVER_MAX_MS)
        log.warn({ err: e, agent: this.name, retry_in_ms: waitMs }, 'a call to the daemon failed; the loop goes on after a pause')
        await sleep(waitMs, undefined, { signal }).catch(() => undefined)
      }
    }
  }

  /** After a failed iteration: its leases back in the queue, or charged a turn error (see messageLoop). */
  private async settleLeases(cause: Error): Promise<void> {
    const { log } = this.opts
    if (isHiveError(cause) && cause.code === HiveErrorCode.Timeout) {
      const { requeued } = await this.client.call('requeue')
      log.info({ agent: this.name, requeued }, 'messages of the failed iteration are back in the queue')
      return
    }
    const verdict = await this.client.call('turn_failed', { failure: 'turn_error', error: `a call to the daemon failed during the turn: ${cause.message}`.slice(0, 4000) })
    log.warn({ agent: this.name, ...verdict }, 'messages of the failed iteration are charged a turn error')
  }

  /** A call that ends a turn, tried again while the connection lives: a turn already done is not run twice for a blip. */
  private async settle<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call()
      } catch (e) {
        if (this.client.closed || this.opts.signal.aborted || attempt >= Loop.SETTLE_ATTEMPTS) throw e
        this.opts.log.warn({ err: e, agent: this.name, attempt }, 'a call ending the turn failed; trying again')
        await sleep(Loop.RECOVER_FIRST_MS * attempt, undefined, { signal: this.opts.signal }).catch(() => undefined)
      }
    }
  }

  /** One long-poll `recv` and, if a message came, its turn and what the outcome costs it. */
  private async nextMessage(): Promise<void> {
    const { signal, log } = this.opts
    const { message, unread } = await this.client.call('recv', { wait_seconds: Limits.MAX_RECV_WAIT_SECONDS })
    if (!message) return
    const outcome = await this.lock.run(() => this.turn(message, unread))
    if (outcome.kind === 'interrupted') return
    if (outcome.kind === 'ok' || outcome.kind === 'cancelled') {
      await this.settle(() => this.client.call('ack'))
      if (outcome.kind === 'ok') await this.lock.run(() => this.compactNotesIfBig())
      return
    }
    // The daemon decides what the failure costs the message (nothing for an outage, an attempt
    // for a turn error) and how long to wait before the next turn.
    const verdict = await this.settle(() =>
      this.client.call('turn_failed', {
        failure: outcome.failure,
        error: outcome.error,
        ...(outcome.apiStatus === undefined ? {} : { api_status: outcome.apiStatus }),
      }),
    )
    log.warn({ agent: this.name, id: message.id, failure: outcome.failure, ...verdict }, 'turn failed')
    await sleep(Math.min(verdict.retry_in_ms, Loop.MAX_RETRY_WAIT_MS), undefined, { signal }).catch(() => undefined)
  }

  private async controlLoop(): Promise<void> {
    const { signal, log } = this.opts
    while (!signal.aborted) {
      try {
        this.onControl(await this.client.call('control_wait', { wait_seconds: Limits.MAX_RECV_WAIT_SECONDS }))
      } catch (e) {
        if (signal.aborted || this.client.closed) throw e
        // Cancel must keep working after a failed wait: pause, then wait again.
        log.warn({ err: e, agent: this.name }, 'waiting for control commands failed; waiting again')
        await sleep(Loop.RECOVER_FIRST_MS, undefined, { signal }).catch(() => undefined)
      }
    }
  }

  private onControl(message: OpOutput<typeof agentOps, 'control_wait'>): void {
    const { log } = this.opts
    if (message.command === 'open_terminal') {
      this.opts.terminals.open(message.terminal)
      return
    }
    const { command } = message
    if (command === 'cancel') {
      log.info({ agent: this.name, running: this.running !== undefined }, 'operator cancelled the turn')
      this.running?.abort()
    } else if (command === 'new_session') {
      this.skipContinue = true
    } else if (command === 'compact') {
      this.lock
        .run(async () => {
          const config = await this.client.call('turn_config')
          const forwarder = this.forwarder()
          await this.cancellable(config, (signal) => this.compact(config, forwarder, signal))
          await forwarder.flush()
        })
        .catch((e: unknown) => log.warn({ err: e, agent: this.name }, 'compaction the operator asked for failed'))
    }
  }

  private async turn(message: DeliveredMessage, unread: number): Promise<TurnOutcome> {
    const { log } = this.opts
    const config = await this.client.call('turn_config')
    const prompt = buildWakePrompt(message, unread)
    const startedAt = Date.now()
    await this.client.call('turn_start')
    const forwarder = this.forwarder()
    const cancel = new AbortController()
    const timeout = AbortSignal.timeout(config.turn_timeout_seconds * 1000)
    const signal = AbortSignal.any([cancel.signal, timeout])
    this.running = cancel
    const end = async (ok: boolean, extra: Record<string, unknown>) => {
      await forwarder.flush()
      const endedAt = Date.now()
      await this.settle(() =>
        this.client.call('turn_end', {
          ok,
          model: config.model,
          wake_from: message.from,
          started_at: startedAt,
          ended_at: endedAt,
          ...extra,
        }),
      )
    }

    let result: ClaudeRun
    try {
      const fresh = this.skipContinue
      this.skipContinue = false
      result = await this.claude(config, forwarder, prompt, signal, !fresh)
      if (result.promptTooLong && !signal.aborted) {
        log.warn({ agent: this.name }, 'prompt too long: compacting the session and retrying once')
        await this.compact(config, forwarder, signal)
        result = await this.claude(config, forwarder, prompt, signal, true)
      }
    } catch (e) {
      // Stopping (or the daemon is gone): the lease stays, whatever the half-run claude left.
      if (this.opts.signal.aborted) return { kind: 'interrupted' }
      log.error({ err: e }, 'could not run claude')
      const error = `could not run claude: ${(e as Error).message}`
      await end(false, { error })
      return { kind: 'failed', failure: 'turn_error', error }
    } finally {
      this.running = undefined
    }
    if (this.opts.signal.aborted) return { kind: 'interrupted' }
    const failure = result.ok ? undefined : this.failureOf(result, cancel.signal.aborted, timeout.aborted, config)
    const usage = result.result?.usage ?? {}
    await end(result.ok, {
      ...(failure ? { error: failure.error } : {}),
      tokens_in: usage.input_tokens ?? 0,
      tokens_out: usage.output_tokens ?? 0,
      tokens_cache_read: usage.cache_read_input_tokens ?? 0,
      tokens_cache_write: usage.cache_creation_input_tokens ?? 0,
      cost_usd: result.result?.total_cost_usd ?? 0,
    })
    log.info({ agent: this.name, ok: result.ok, failure: failure?.kind === 'failed' ? failure.failure : failure?.kind, ms: Date.now() - startedAt }, 'turn finished')
    return failure ?? { kind: 'ok' }
  }

  private failureOf(
    result: ClaudeRun,
    cancelled: boolean,
    timedOut: boolean,
    config: TurnConfig,
  ): Exclude<TurnOutcome, { kind: 'ok' | 'interrupted' }> & { error: string } {
    if (cancelled) return { kind: 'cancelled', error: 'cancelled by the operator' }
    // A turn that hangs is the turn's problem: it counts against the message like any turn error.
    if (timedOut) return { kind: 'failed', failure: 'turn_error', error: `turn timed out after ${config.turn_timeout_seconds} s` }
    const error = describeFailure(result)
    const apiStatus = result.result?.api_error_status ?? undefined
    const failure = classifyFailedRun({ apiStatus: result.result?.api_error_status, terminalReason: result.result?.terminal_reason, text: error })
    return { kind: 'failed', failure, error, ...(apiStatus === undefined ? {} : { apiStatus }) }
  }

  private async compact(config: TurnConfig, forwarder: EventForwarder, signal: AbortSignal): Promise<void> {
    await this.client.call('compacting', { active: true })
    try {
      await this.claude(config, forwarder, '/compact', signal, true)
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
      const outcome = await this.cancellable(config, (signal) =>
        compactNotes({
          stateDir,
          workDir: join(runDir, 'notes-compactor'),
          limitBytes: config.notes_compact_bytes,
          model: config.model,
          signal: AbortSignal.any([signal, this.opts.signal]),
          run: (input, stop) =>
            runClaude({
              ...input,
              bin: this.opts.claudeBin,
              env: this.opts.claudeEnv,
              signal: stop,
              onLine: forwardLine(forwarder),
            }),
        }),
      )
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

  /** A claude run outside a turn (compaction): the operator's cancel and the turn timeout stop it too. */
  private async cancellable<T>(config: TurnConfig, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const cancel = new AbortController()
    this.running = cancel
    try {
      return await run(AbortSignal.any([cancel.signal, AbortSignal.timeout(config.turn_timeout_seconds * 1000)]))
    } finally {
      this.running = undefined
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
