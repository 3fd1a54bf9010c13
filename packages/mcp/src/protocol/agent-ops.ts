import { z } from 'zod'
import { Limits } from './limits.ts'
import { agentNameSchema, messageBodySchema, recipientSchema } from './names.ts'

/**
 * Requests an agent (its turn loop or its MCP server) may make on its own socket,
 * `run/agents/<name>/mcp.sock`. The socket is the identity: there is no `from` field.
 */
export const agentOps = {
  whoami: z.object({}).strict(),
  send: z.object({ to: recipientSchema, body: messageBodySchema }).strict(),
  recv: z
    .object({
      wait_seconds: z
        .number()
        .min(0, 'wait_seconds must be ≥ 0')
        .max(Limits.MAX_RECV_WAIT_SECONDS, `wait_seconds must be ≤ ${Limits.MAX_RECV_WAIT_SECONDS}`)
        .optional(),
    })
    .strict(),
  status: z.object({}).strict(),
  recent: z.object({ limit: z.number().int().min(1).max(Limits.MAX_LIST_LIMIT).optional() }).strict(),
  /** Turn loop: every message leased so far was handled by a finished turn. */
  ack: z.object({}).strict(),
  /** Turn loop: return un-acked leases to the queue (boot, failed turn), flagged redelivered. */
  requeue: z.object({}).strict(),
  /** Turn loop: what the next turn should run with (model, tools); resolved by the daemon. */
  turn_config: z.object({}).strict(),
  turn_start: z.object({ wake_from: z.string().max(64), model: z.string().min(1).max(128) }).strict(),
  /** Turn loop: raw stream-json lines of the running `claude`, forwarded as AgentEvents. */
  turn_events: z
    .object({
      events: z
        .array(z.object({ kind: z.string().min(1).max(64), payload: z.unknown() }).strict())
        .min(1)
        .max(256),
    })
    .strict(),
  turn_end: z
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
  /** Turn loop: notes.md was rewritten smaller by the notes compactor (the manager hears of it). */
  notes_compacted: z.object({ bytes_before: z.number().int().nonnegative(), bytes_after: z.number().int().nonnegative() }).strict(),
  /** Turn loop: the session is being compacted (`/compact`), for the state badge. */
  compacting: z.object({ active: z.boolean() }).strict(),
  /** Turn loop: park until the operator sends a control command (cancel, compact, new session). */
  control_wait: z.object({ wait_seconds: z.number().min(0).max(Limits.MAX_RECV_WAIT_SECONDS) }).strict(),
} as const

const questionOptionSchema = z.string().min(1, 'option is empty').max(Limits.MAX_OPTION_CHARS)

/** Added on the manager's socket only. */
export const managerOps = {
  request_spawn: z.object({ name: agentNameSchema, description: z.string().max(4096).optional() }).strict(),
  kill: z.object({ name: agentNameSchema }).strict(),
  start: z.object({ name: agentNameSchema }).strict(),
  restart: z.object({ name: agentNameSchema }).strict(),
  update: z.object({ name: agentNameSchema }).strict(),
  request_apply_commit: z
    .object({
      agent: agentNameSchema,
      commit_ref: z.string().min(1).max(256),
      description: z.string().max(4096).optional(),
    })
    .strict(),
  ask_operator: z
    .object({
      question: z.string().min(1, 'question is empty').max(Limits.MAX_QUESTION_CHARS),
      options: z.array(questionOptionSchema).max(Limits.MAX_QUESTION_OPTIONS).optional(),
      multi: z.boolean().optional(),
      ttl_seconds: z.number().int().optional(),
    })
    .strict(),
} as const

export type AgentOp = keyof typeof agentOps
export type ManagerOp = keyof typeof managerOps
export type AgentOpArgs<K extends AgentOp> = z.infer<(typeof agentOps)[K]>
export type ManagerOpArgs<K extends ManagerOp> = z.infer<(typeof managerOps)[K]>

/** A message as handed to an agent by `recv`. */
export const deliveredMessageSchema = z.object({
  id: z.number().int(),
  from: z.string(),
  body: z.string(),
  sent_at: z.number(),
  redelivered: z.boolean(),
  broadcast: z.boolean(),
})
export type DeliveredMessage = z.infer<typeof deliveredMessageSchema>

export const recvResultSchema = z.object({ message: deliveredMessageSchema.nullable(), unread: z.number().int() })
export type RecvResult = z.infer<typeof recvResultSchema>

export const controlResultSchema = z.object({ command: z.enum(['cancel', 'compact', 'new_session']).nullable() })
export type ControlResult = z.infer<typeof controlResultSchema>

export const whoamiResultSchema = z.object({ name: z.string(), role: z.enum(['agent', 'manager']) })
export type WhoamiResult = z.infer<typeof whoamiResultSchema>

export const turnConfigSchema = z.object({
  name: z.string(),
  role: z.enum(['agent', 'manager']),
  model: z.string(),
  /** Bash allow-list patterns (`git *`), each becomes `Bash(<pattern>)`. */
  bash_patterns: z.array(z.string()),
  notes_compact_bytes: z.number().int(),
})
export type TurnConfig = z.infer<typeof turnConfigSchema>
