import * as z from 'zod'

/**
 * What the daemon answers with, as every client (CLI, dashboard, MCP tools) sees it. Field names
 * are snake_case across the wire, like the request arguments.
 */

export const roleSchema = z.enum(['agent', 'manager'])
/**
 * What an agent is doing. The last three are outages: the agent parks its message (never uses it
 * up) and retries by itself at `retry_at`.
 */
const activitySchema = z.enum(['idle', 'thinking', 'compacting', 'rate-limited', 'model-down', 'needs-login'])
export type Activity = z.infer<typeof activitySchema>

/** One row of `hive list` / the C0NTAINERS section. */
export const agentViewSchema = z.object({
  name: z.string(),
  role: roleSchema,
  runtime: z.string(),
  isolated: z.boolean(),
  desired: z.enum(['running', 'stopped']),
  state: z.enum(['running', 'stopped', 'failed', 'destroyed']),
  activity: activitySchema,
  activity_since: z.number(),
  /** During an outage: when the agent tries its model again. */
  retry_at: z.number().nullable(),
  unread: z.number().int(),
  created_at: z.number(),
  destroyed_at: z.number().nullable(),
})
export type AgentView = z.infer<typeof agentViewSchema>

/** A message as the dashboard shows it. */
export const messageViewSchema = z.object({
  id: z.number().int(),
  from: z.string(),
  to: z.string(),
  body: z.string(),
  sent_at: z.number(),
  delivered_at: z.number().nullable(),
  acked_at: z.number().nullable(),
  redelivered: z.boolean(),
  broadcast: z.boolean(),
})
export type MessageView = z.infer<typeof messageViewSchema>

/** A message in the operator's inbox: read once marked (the operator never `recv`s). */
export const inboxMessageSchema = messageViewSchema.extend({ read: z.boolean() })
export type InboxMessage = z.infer<typeof inboxMessageSchema>

/** A message that failed too often: out of its recipient's queue until retried or discarded. */
export const deadLetterViewSchema = z.object({
  id: z.number().int(),
  from: z.string(),
  to: z.string(),
  body: z.string(),
  sent_at: z.number(),
  attempts: z.number().int(),
  /** null once retried: back in the queue. */
  dead_lettered_at: z.number().nullable(),
  last_error: z.string().nullable(),
})
export type DeadLetterView = z.infer<typeof deadLetterViewSchema>

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

/** An approval as the dashboard and `hive pending` show it. */
export const approvalViewSchema = z.object({
  id: z.number().int(),
  kind: z.enum(['spawn', 'apply_commit']),
  agent: z.string(),
  description: z.string().nullable(),
  commit_ref: z.string().nullable(),
  sha: z.string().nullable(),
  status: z.string(),
  note: z.string().nullable(),
  requested_at: z.number(),
  resolved_at: z.number().nullable(),
  /** apply_commit, while pending: applied config → proposal, unified. */
  diff: z.string().optional(),
})
export type ApprovalView = z.infer<typeof approvalViewSchema>

/** A question as the dashboard and `hive questions` show it. */
export const questionViewSchema = z.object({
  id: z.number().int(),
  asker: z.string(),
  question: z.string(),
  options: z.array(z.string()),
  multi: z.boolean(),
  asked_at: z.number(),
  deadline_at: z.number().nullable(),
  status: z.string(),
  answer: z.string().nullable(),
  answerer: z.string().nullable(),
  answered_at: z.number().nullable(),
})
export type QuestionView = z.infer<typeof questionViewSchema>

/** One line of an agent's live turn stream (a stored AgentEvent). */
export const streamEventViewSchema = z.object({
  id: z.number().int(),
  agent: z.string(),
  ts: z.number(),
  kind: z.string(),
  payload: z.unknown(),
})
export type StreamEventView = z.infer<typeof streamEventViewSchema>

/** A finished turn: timing, model, tokens, cost, failure. */
export const turnViewSchema = z.object({
  id: z.number().int(),
  started_at: z.number(),
  duration_ms: z.number(),
  model: z.string(),
  wake_from: z.string().nullable(),
  ok: z.boolean(),
  error: z.string().nullable(),
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  cost_usd: z.number(),
})
export type TurnView = z.infer<typeof turnViewSchema>

/** What the effective model of an agent is, and whether the operator overrode it. */
export const modelViewSchema = z.object({ override: z.string().nullable(), effective: z.string().nullable() })

/** An agent's page: its row, model, last turn, inbox, applied config and notes. */
export const agentDetailSchema = z.object({
  agent: agentViewSchema,
  model: modelViewSchema,
  last_turn: turnViewSchema.nullable(),
  inbox: z.array(messageViewSchema),
  config: z.string().nullable(),
  notes: z.string().nullable(),
  /** The live-stream position this snapshot was taken at. */
  seq: z.number().int(),
})
export type AgentDetail = z.infer<typeof agentDetailSchema>

/** What the next turn should run with (model, tools); resolved by the daemon. */
export const turnConfigSchema = z.object({
  name: z.string(),
  role: roleSchema,
  model: z.string(),
  /** Bash allow-list patterns (`git *`), each becomes `Bash(<pattern>)`. */
  bash_patterns: z.array(z.string()),
  notes_compact_bytes: z.number().int(),
  /** A turn running longer is stopped (SIGINT → SIGTERM → SIGKILL) and counts as a turn error. */
  turn_timeout_seconds: z.number().int().positive(),
})
export type TurnConfig = z.infer<typeof turnConfigSchema>

/** Message ids a send wrote (one per recipient). */
export const sentSchema = z.object({ ids: z.array(z.number().int()) })

export const emptySchema = z.object({}).strict()
