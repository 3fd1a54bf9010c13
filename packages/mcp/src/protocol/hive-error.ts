/** Machine-readable failure classes shared by sockets, the CLI, MCP tools and (later) tRPC. */
export const HiveErrorCode = {
  /** Input failed validation; the message names the field. Nothing was written. */
  BadRequest: 'BAD_REQUEST',
  /** The named agent, message, question or approval does not exist. */
  NotFound: 'NOT_FOUND',
  /** The request conflicts with current state (already exists, already answered, …). */
  Conflict: 'CONFLICT',
  /** The caller's identity (its socket) may not do this. */
  Forbidden: 'FORBIDDEN',
  /** The target is in a state that does not allow this (e.g. destroyed). */
  PreconditionFailed: 'PRECONDITION_FAILED',
  /** The verb exists in the contract but its feature has not landed yet. */
  NotImplemented: 'NOT_IMPLEMENTED',
  /** A wait ran out. */
  Timeout: 'TIMEOUT',
  /** A bug or an unexpected environment failure; details are in the daemon log. */
  Internal: 'INTERNAL',
} as const
export type HiveErrorCode = (typeof HiveErrorCode)[keyof typeof HiveErrorCode]

/** An expected failure with a message fit for an operator or a model to read. */
export class HiveError extends Error {
  override readonly name = 'HiveError'
  constructor(
    readonly code: HiveErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export function isHiveError(e: unknown): e is HiveError {
  return e instanceof HiveError
}
