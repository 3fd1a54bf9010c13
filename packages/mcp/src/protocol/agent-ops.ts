import * as z from 'zod'
import { Limits } from './limits.ts'
import { agentNameSchema, messageBodySchema, recipientSchema } from './names.ts'
import { op } from './op-spec.ts'
import { terminalRequestSchema } from './pty-relay-frames.ts'
import { agentViewSchema, deliveredMessageSchema, emptySchema, roleSchema, sentSchema, turnConfigSchema } from './views.ts'

const done = z.object({}).strip()

/** What the operator can ask a running turn loop to do, out of band of its inbox. */
export const controlCommandSchema = z.enum(['cancel', 'compact', 'new_session'])
export type ControlCommand = z.infer<typeof controlCommandSchema>

/**
 * Why a turn failed, as the turn loop sees it: the model could not be reached (429, 529, 5xx,
 * network, 404 model), the agent has no valid login, or the turn itself went wrong.
 */
const turnFailureSchema = z.enum(['model_unavailable', 'needs_login', 'turn_error'])
export type TurnFailure = z.infer<typeof turnFailureSchema>

/**
 * What a parked `control_wait` hands the turn loop: an operator command, or a terminal to open
 * (nspawn: the payload spawns it and relays it over pty.sock, see pty-relay-frames.ts).
 */
const controlMessageSchema = z.union([
  z.object({ command: controlCommandSchema }),
  z.object({ command: z.literal('open_terminal'), terminal: terminalRequestSchema }),
])
export type ControlMessage = z.infer<typeof controlMessageSchema>

/**
 * Requests an agent (its turn loop or its MCP server) may make on its own socket,
 * `run/agents/<name>/mcp.sock`. The socket is the identity: there is no `from` field.
 */
export const agentOps = {
  whoami: op(emptySchema, z.object({ name: z.string(), role: roleSchema })),
  send: op(z.object({ to: recipientSchema, body: messageBodySchema }).strict(), sentSchema),
  recv: op(
    z
      .object({
        wait_seconds: z
          .number()
          .min(0, 'wait_seconds must be ≥ 0')
          .max(Limits.MAX_RECV_WAIT_SECONDS, `wait_seconds must be ≤ ${Limits.MAX_RECV_WAIT_SECONDS}`)
          .optional(),
      })
      .strict(),
    z.object({ message: deliveredMessageSchema.nullable(), unread: z.number().int() }),
  ),
  status: op(emptySchema, z.object({ unread: z.number().int() })),
  recent: op(
    z.object({ limit: z.number().int().min(1).max(Limits.MAX_LIST_LIMIT).optional() }).strict(),
    z.object({ messages: z.array(deliveredMessageSchema) }),
  ),
  /** Turn loop: every message leased so far was handled by a finished turn. */
  ack: op(emptySchema, z.object({ acked: z.number().int() })),
  /** Turn loop: return un-acked leases to the queue (boot, failed turn), flagged redelivered. */
  requeue: op(emptySchema, z.object({ requeued: z.number().int() })),
  /** Turn loop: what the next turn should run with (model, tools); resolved by the daemon. */
  turn_config: op(emptySchema, turnConfigSchema),
  /** Turn loop: a turn began (the agent shows as thinking). */
  turn_start: op(emptySchema, done),
  /** Turn loop: raw stream-json lines of the running `claude`, forwarded as AgentEvents. */
  turn_events: op(
    z
      .object({
        events: z
          .array(z.object({ kind: z.string().min(1).max(64), payload: z.unknown() }).strict())
          .min(1)
          .max(256),
      })
      .strict(),
    done,
  ),
  turn_end: op(
    z
      .object({
        ok: z.boolean(),
        error: z.string().max(4096).optional(),
        model: z.string().min(1).max(128),
        wake_from: z.string().max(64),
        started_at: z.number().int().nonnegative(),
        ended_at: z.number().int().nonnegative(),
        tokens_in: z.number().int().nonnegative().default(0),
        tokens_out: z.number().int().nonnegative().default(0),
        tokens_cache_read: z.number().int().nonnegative().default(0),
        tokens_cache_write: z.number().int().nonnegative().default(0),
        cost_usd: z.number().nonnegative().default(0),
      })
      .strict(),
    done,
  ),
  /**
   * Turn loop: the turn over the leased messages failed. Outages and a missing login requeue them
   * untouched; a turn error counts an attempt and dead-letters a message that failed too often.
   * The answer says how long to wait before the next turn.
   */
  turn_failed: op(
    z
      .object({
        failure: turnFailureSchema,
        error: z.string().max(4096),
        /** The API's HTTP status when there was one (`api_error_status` of the CLI's result). */
        api_status: z.number().int().min(0).max(999).optional(),
      })
      .strict(),
    z.object({ requeued: z.number().int(), dead_lettered: z.array(z.number().int()), retry_in_ms: z.number().int().nonnegative() }),
  ),
  /** Turn loop: notes.md was rewritten smaller by the notes compactor (the manager hears of it). */
  notes_compacted: op(z.object({ bytes_before: z.number().int().nonnegative(), bytes_after: z.number().int().nonnegative() }).strict(), done),
  /** Turn loop: the session is being compacted (`/compact`), for the state badge. */
  compacting: op(z.object({ active: z.boolean() }).strict(), done),
  /**
   * Turn loop: park until the operator sends a control command (cancel, compact, new session)
   * or opens a terminal; `{ command: null }` when the wait ran out.
   */
  control_wait: op(
    z.object({ wait_seconds: z.number().min(0).max(Limits.MAX_RECV_WAIT_SECONDS) }).strict(),
    z.union([controlMessageSchema, z.object({ command: z.null() })]),
  ),
} as const


const questionOptionSchema = z.string().min(1, 'option is empty').max(Limits.MAX_OPTION_CHARS)
const byName = z.object({ name: agentNameSchema }).strict()
/** What the manager gets back for a request: the id to remember, and that the answer comes later. */
const receiptSchema = z.object({ approval_id: z.number().int(), status: z.string(), sha: z.string().optional(), note: z.string() })

/** Added on the manager's socket only. */
export const managerOps = {
  request_spawn: op(z.object({ name: agentNameSchema, description: z.string().max(4096).optional() }).strict(), receiptSchema),
  kill: op(byName, agentViewSchema),
  start: op(byName, agentViewSchema),
  restart: op(byName, agentViewSchema),
  update: op(byName, agentViewSchema),
  request_apply_commit: op(
    z
      .object({
        agent: agentNameSchema,
        commit_ref: z.string().min(1).max(256),
        description: z.string().max(4096).optional(),
      })
      .strict(),
    receiptSchema,
  ),
  ask_operator: op(
    z
      .object({
        question: z.string().min(1, 'question is empty').max(Limits.MAX_QUESTION_CHARS),
        options: z.array(questionOptionSchema).max(Limits.MAX_QUESTION_OPTIONS).optional(),
        multi: z.boolean().optional(),
        ttl_seconds: z.number().int().optional(),
      })
      .strict(),
    z.object({ question_id: z.number().int() }),
  ),
} as const

/** Everything the manager's socket answers. */
export const managerSurface = { ...agentOps, ...managerOps }

export type AgentOp = keyof typeof agentOps
export type ManagerOp = keyof typeof managerOps
export type AskOperatorArgs = z.output<(typeof managerOps)['ask_operator']['input']>
