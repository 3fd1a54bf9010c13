import * as z from 'zod'

/**
 * `GET /pty/<agent>` websocket frames. Binary frames carry terminal bytes both ways; text frames
 * carry these JSON control messages. Browser-safe: this file imports nothing but zod.
 */

/** Browser → daemon. */
export const clientFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('resize'), cols: z.number().int().min(1).max(1000), rows: z.number().int().min(1).max(500) }),
  /** Output bytes the browser has rendered (from `term.write`'s callback): flow control. */
  z.object({ type: z.literal('ack'), bytes: z.number().int().min(0) }),
])
export type ClientFrame = z.infer<typeof clientFrameSchema>

/** Daemon → browser. */
export const serverFrameSchema = z.discriminatedUnion('type', [
  /** Attached: the PTY's size; the scrollback follows as binary frames. */
  z.object({ type: z.literal('hello'), cols: z.number().int(), rows: z.number().int() }),
  z.object({ type: z.literal('resize'), cols: z.number().int(), rows: z.number().int() }),
  z.object({ type: z.literal('exit'), code: z.number().int().nullable() }),
  z.object({ type: z.literal('error'), message: z.string() }),
])
export type ServerFrame = z.infer<typeof serverFrameSchema>

/** What a terminal runs: the agent's login shell, or an interactive `claude --continue`. */
export const terminalKindSchema = z.enum(['shell', 'claude'])

/** The query of the upgrade request. */
export const terminalQuerySchema = z.object({
  kind: terminalKindSchema.default('shell'),
  cols: z.coerce.number().int().min(1).max(1000).default(80),
  rows: z.coerce.number().int().min(1).max(500).default(24),
})
export type TerminalKind = z.output<typeof terminalQuerySchema>['kind']

/** Websocket close codes of a terminal. */
export const TerminalClose = {
  /** The process exited or the session was disposed. */
  ENDED: 1000,
  /** Could not open the terminal (see the daemon log). */
  INTERNAL: 1011,
  /** The session is already over when a viewer attaches. */
  SESSION_GONE: 4000,
  /** Unknown, destroyed or stopped agent: reconnecting cannot help. */
  UNKNOWN_AGENT: 4004,
  /** The viewer stopped acknowledging output while the PTY was paused. */
  STALLED: 4008,
  /** Malformed upgrade request: reconnecting cannot help. */
  BAD_REQUEST: 4400,
} as const

/** After these the browser does not reconnect. */
export const FATAL_TERMINAL_CLOSES: readonly number[] = [TerminalClose.UNKNOWN_AGENT, TerminalClose.BAD_REQUEST]
