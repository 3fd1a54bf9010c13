import { constants } from 'node:os'
import type { Logger } from 'pino'

/** kill/systemd (TERM), ^C (INT), a closed terminal (HUP). */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const

export const Shutdown = {
  /** ms agents get to stop: the runtimes' 5 s grace, their hard stop, and the exit that follows. */
  AGENTS_MS: 8_000,
  /** ms each other step (servers, database) gets. */
  STEP_MS: 1_000,
  /**
   * ms from the first signal (boot may still be running) to a forced exit. Agents then go by their
   * parent-death signal (≤ 2 s), within the 15 s the operator is promised.
   */
  DEADLINE_MS: 12_000,
} as const

/** What a forced stop does; the daemon's own process, unless a test stands in. */
interface StopHost {
  on(signal: NodeJS.Signals, listener: () => void): unknown
  exit(code: number): void
}

/**
 * The daemon's stop signals, listened to from its first line: one arriving during boot stops it
 * once boot is done. The first asks for an orderly shutdown; a second, or a shutdown past its
 * deadline, exits at once (each agent's parent-death signal takes it down).
 */
export class StopSignals {
  /** The first stop signal. */
  readonly requested: Promise<NodeJS.Signals>
  private first: NodeJS.Signals | undefined

  constructor(
    private readonly log: Logger,
    private readonly host: StopHost = process,
  ) {
    let resolve: (signal: NodeJS.Signals) => void = () => {}
    this.requested = new Promise((r) => (resolve = r))
    for (const signal of STOP_SIGNALS) {
      host.on(signal, () => {
        if (this.first !== undefined) {
          this.force(`${signal} while shutting down`, signal)
          return
        }
        this.first = signal
        log.info({ signal }, 'shutting down')
        // Unref'd: it fires only if the daemon is still alive by then (a step or a handle hangs).
        setTimeout(() => this.force(`still running ${Shutdown.DEADLINE_MS} ms after ${signal}`, signal), Shutdown.DEADLINE_MS).unref()
        resolve(signal)
      })
    }
  }

  private force(why: string, signal: NodeJS.Signals): void {
    this.log.warn({ why }, 'exiting without finishing the shutdown')
    this.host.exit(128 + constants.signals[signal])
  }
}

/** Awaits one shutdown step for at most `ms`; a step that fails or hangs is logged, and the next runs. */
export async function shutdownStep(log: Logger, step: string, work: Promise<unknown>, ms: number = Shutdown.STEP_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))
  const finished = work.then(
    () => 'done' as const,
    (err: unknown) => {
      log.error({ err, step }, 'shutdown step failed')
      return 'failed' as const
    },
  )
  const outcome = await Promise.race([finished, timedOut])
  clearTimeout(timer)
  if (outcome === 'timeout') log.warn({ step, ms }, 'shutdown step did not finish in time; going on')
}
