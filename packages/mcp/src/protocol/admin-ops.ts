import * as z from 'zod'
import { Limits } from './limits.ts'
import { agentNameSchema, messageBodySchema, modelNameSchema, recipientSchema } from './names.ts'
import { controlCommandSchema } from './agent-ops.ts'
import { op } from './op-spec.ts'
import {
  agentDetailSchema,
  agentViewSchema,
  approvalViewSchema,
  deadLetterViewSchema,
  emptySchema,
  modelViewSchema,
  inboxMessageSchema,
  messageViewSchema,
  questionViewSchema,
  sentSchema,
  streamEventViewSchema,
  turnViewSchema,
} from './views.ts'

const byName = z.object({ name: agentNameSchema }).strict()
const byId = z.object({ id: z.number().int().positive() }).strict()
// Listings take no arguments at all too (a bare `GET /api/trpc/agents.list`).
const listing = (max: number) => z.object({ limit: z.number().int().min(1).max(max).optional() }).strict().default({})
const withHistory = z.object({ all: z.boolean().optional() }).strict().default({})
const description = z.string().max(4096)
const controlSent = z.object({ name: z.string(), command: controlCommandSchema })

/**
 * The operator's operations: the admin socket `run/host.sock` (mode 0600, the CLI) and the
 * dashboard's tRPC procedures both run exactly these.
 */
export const adminOps = {
  status: op(
    emptySchema,
    z.object({
      version: z.string(),
      runtime: z.string(),
      uptime_s: z.number(),
      agents: z.number().int(),
      running: z.number().int(),
      operator_unread: z.number().int(),
      url: z.string(),
    }),
  ),
  login_url: op(emptySchema, z.object({ url: z.string() })),
  /** Ends every dashboard session (`hive logout --all`); the token stays. */
  logout_all: op(emptySchema, z.object({ revoked: z.number().int() })),
  /** A new operator token (`hive token rotate`): the old one stops working, every session ends. */
  rotate_token: op(emptySchema, z.object({ url: z.string(), revoked: z.number().int() })),

  list: op(withHistory, z.array(agentViewSchema)),
  agent: op(byName, agentDetailSchema),
  stream: op(z.object({ name: agentNameSchema, limit: z.number().int().min(1).max(2000).optional() }).strict(), z.array(streamEventViewSchema)),
  turns: op(z.object({ name: agentNameSchema, limit: z.number().int().min(1).max(200).optional() }).strict(), z.array(turnViewSchema)),
  logs: op(
    z.object({ name: agentNameSchema, lines: z.number().int().min(1).max(10_000).optional() }).strict(),
    z.object({ name: z.string(), lines: z.array(z.string()) }),
  ),

  spawn: op(z.object({ name: agentNameSchema, description: description.optional() }).strict(), agentViewSchema),
  kill: op(byName, agentViewSchema),
  start: op(byName, agentViewSchema),
  restart: op(byName, agentViewSchema),
  rebuild: op(byName, agentViewSchema),
  revive: op(byName, agentViewSchema),
  destroy: op(z.object({ name: agentNameSchema, purge: z.boolean().optional() }).strict(), z.object({ name: z.string(), purged: z.boolean() })),
  model_info: op(byName, modelViewSchema),
  model: op(
    z.object({ name: agentNameSchema, model: modelNameSchema.nullable() }).strict(),
    z.object({ name: z.string(), override: z.string().nullable(), effective: z.string() }),
  ),
  cancel_turn: op(byName, controlSent),
  compact: op(byName, controlSent),
  new_session: op(byName, controlSent),

  send: op(z.object({ to: recipientSchema, body: messageBodySchema }).strict(), sentSchema),
  recent_messages: op(listing(Limits.MAX_LIST_LIMIT), z.array(messageViewSchema)),
  /**
   * The operator's mail, newest first, one page at a time: at most `limit` messages and about
   * Limits.MAX_PAGE_BYTES of them; `next_before` is the `before` of the next (older) page, null at the end.
   */
  inbox: op(
    z
      .object({
        limit: z.number().int().min(1).max(Limits.MAX_LIST_LIMIT).optional(),
        unread: z.boolean().optional(),
        before: z.number().int().positive().optional(),
      })
      .strict()
      .default({}),
    z.object({ unread: z.number().int(), messages: z.array(inboxMessageSchema), next_before: z.number().int().nullable() }),
  ),
  mark_read: op(z.object({ id: z.number().int().positive().optional() }).strict(), z.object({ marked: z.number().int() })),
  /**
   * Messages that failed too often, newest first, one page at a time (at most `limit` and about
   * Limits.MAX_PAGE_BYTES of them); `next_before` is the `before` of the next page, null at the end.
   */
  dead_letters: op(
    z
      .object({ limit: z.number().int().min(1).max(Limits.MAX_LIST_LIMIT).optional(), before: z.number().int().positive().optional() })
      .strict()
      .default({}),
    z.object({ dead_letters: z.array(deadLetterViewSchema), next_before: z.number().int().nullable() }),
  ),
  /** Back into its recipient's queue, attempts reset. */
  retry_dead_letter: op(byId, deadLetterViewSchema),
  /** Deleted for good. */
  discard_dead_letter: op(byId, deadLetterViewSchema),

  request_spawn: op(z.object({ name: agentNameSchema, description: description.optional() }).strict(), approvalViewSchema),
  pending: op(withHistory, z.array(approvalViewSchema)),
  approval_history: op(listing(200), z.array(approvalViewSchema)),
  approve: op(byId, approvalViewSchema),
  deny: op(z.object({ id: z.number().int().positive(), note: description.optional() }).strict(), approvalViewSchema),

  questions: op(withHistory, z.array(questionViewSchema)),
  question_history: op(listing(200), z.array(questionViewSchema)),
  answer: op(
    z
      .object({
        id: z.number().int().positive(),
        text: z.string().max(Limits.MAX_QUESTION_CHARS).optional(),
        options: z.array(z.string().min(1).max(Limits.MAX_OPTION_CHARS)).max(Limits.MAX_QUESTION_OPTIONS).optional(),
      })
      .strict(),
    questionViewSchema,
  ),
  cancel_question: op(byId, questionViewSchema),
} as const

export type AdminOp = keyof typeof adminOps
