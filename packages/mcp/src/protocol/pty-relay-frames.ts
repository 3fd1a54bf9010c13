import * as z from 'zod'
import { terminalKindSchema } from './terminal-frames.ts'

/**
 * The pty relay: an nspawn terminal is spawned by the payload (`hive-agent serve`), so it
 * inherits the payload's seccomp filter, no_new_privs, cgroup and capabilities, which a shell
 * entered with nsenter cannot have (nspawn-userns.md §5). The daemon hands the turn loop a
 * terminal request through `control_wait`; the agent connects to `pty.sock` beside its
 * `mcp.sock`, says which request it answers with the request's one-time token, and relays the
 * PTY as frames: binary data both ways, JSON control.
 *
 * On the wire a frame is a 1-byte kind (`RelayFrameKind`), a 4-byte big-endian payload length
 * and the payload: raw bytes, or one of the JSON control frames below in UTF-8.
 */

/** The relay socket's file name, beside the agent's `mcp.sock` (`/run/hive/pty.sock` inside). */
export const PTY_RELAY_SOCKET_NAME = 'pty.sock'

export const PtyRelayLimits = {
  /** Largest frame payload, in bytes; longer output is split. A peer that sends more is cut off. */
  MAX_FRAME_BYTES: 64 * 1024,
  /**
   * Terminals one agent hosts at once. The daemon opens one per kind, so 2 in practice; this
   * bounds the pty.sock connections a confused or hostile container can hold.
   */
  MAX_TERMINALS_PER_AGENT: 8,
  /** A control frame's error text, in characters. */
  MAX_ERROR_CHARS: 1000,
} as const

export const RelayFrameKind = {
  /** Terminal bytes: output (agent → daemon) or input (daemon → agent). */
  DATA: 0,
  /** One JSON control frame. */
  CONTROL: 1,
} as const

/** 32 random bytes, base64url: what the daemon hands out and the agent gives back. */
const tokenSchema = z.string().regex(/^[\w-]{43}$/, 'token must be 32 bytes, base64url')
const terminalIdSchema = z.uuid()
const colsSchema = z.number().int().min(1).max(1000)
const rowsSchema = z.number().int().min(1).max(500)

/** A terminal the operator opened, as `control_wait` hands it to the agent. */
export const terminalRequestSchema = z
  .object({
    id: terminalIdSchema.describe('names this request on pty.sock'),
    token: tokenSchema.describe('one-time secret the agent sends back in its hello frame'),
    kind: terminalKindSchema.describe('its login shell, or claude --continue'),
    cols: colsSchema.describe('initial width in columns'),
    rows: rowsSchema.describe('initial height in rows'),
  })
  .strict()
export type TerminalRequest = z.infer<typeof terminalRequestSchema>

/** Agent → daemon control frames. */
export const agentRelayFrameSchema = z.discriminatedUnion('type', [
  /** The first frame on a connection: which request it answers. Anything else first is refused. */
  z.object({ type: z.literal('hello'), id: terminalIdSchema, token: tokenSchema }).strict(),
  /** The PTY runs; its pid is in the container's PID namespace. */
  z.object({ type: z.literal('started'), pid: z.number().int().positive() }).strict(),
  /**
   * Sent after the last output frame, so nothing is lost at exit. `error` when the terminal
   * never started (spawn failed, too many terminals); then `code` is 1.
   */
  z
    .object({
      type: z.literal('exit'),
      code: z.number().int(),
      signal: z.number().int().optional(),
      error: z.string().max(PtyRelayLimits.MAX_ERROR_CHARS).optional(),
    })
    .strict(),
])
export type AgentRelayFrame = z.infer<typeof agentRelayFrameSchema>

/** Signals the daemon may ask the agent to send its terminal's process. */
const relaySignalSchema = z.enum(['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGKILL'])

/** Daemon → agent control frames. */
export const daemonRelayFrameSchema = z.discriminatedUnion('type', [
  /** The hello matched a pending request: start the PTY. */
  z.object({ type: z.literal('accepted') }).strict(),
  z.object({ type: z.literal('resize'), cols: colsSchema, rows: rowsSchema }).strict(),
  /** Flow control: the viewers are behind; stop reading the PTY (node-pty `pause`). */
  z.object({ type: z.literal('pause') }).strict(),
  z.object({ type: z.literal('resume') }).strict(),
  /** End the terminal: signal its process. */
  z.object({ type: z.literal('kill'), signal: relaySignalSchema }).strict(),
])
export type DaemonRelayFrame = z.infer<typeof daemonRelayFrameSchema>
