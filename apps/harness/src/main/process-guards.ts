import type { Logger } from 'pino'

/** The messages these guards log under; the test daemon wrapper fails a test that shows one. */
export const GuardMessage = {
  UNHANDLED_REJECTION: 'unhandled rejection (a bug: a promise nobody awaits or catches failed)',
  UNCAUGHT_EXCEPTION: 'uncaught exception (a bug: the daemon stays up, but look at this)',
} as const

/**
 * Installs the daemon's last line of defence: an error no handler caught is logged loudly and
 * the daemon stays up. Exiting would take every agent with it (their runtimes die with the
 * daemon, by `setpriv --pdeathsig`), so one bad request or one failed write must not. State worth
 * keeping is in SQLite; what an exception may leave inconsistent is in-memory and per-request.
 */
export function installProcessGuards(log: Logger): void {
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, GuardMessage.UNHANDLED_REJECTION))
  process.on('uncaughtException', (err, origin) => log.fatal({ err, origin }, GuardMessage.UNCAUGHT_EXCEPTION))
}
