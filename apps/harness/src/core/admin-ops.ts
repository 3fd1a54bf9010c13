import { z } from 'zod'
import { Limits, agentNameSchema, messageBodySchema, recipientSchema } from '@hive/mcp'

const byName = z.object({ name: agentNameSchema }).strict()
const byId = z.object({ id: z.number().int().positive() }).strict()

/** Requests on the admin socket `run/host.sock` (mode 0600): the operator's CLI. */
export const adminOps = {
  status: z.object({}).strict(),
  list: z.object({ all: z.boolean().optional() }).strict(),
  spawn: z.object({ name: agentNameSchema, description: z.string().max(4096).optional() }).strict(),
  kill: byName,
  start: byName,
  restart: byName,
  send: z.object({ to: recipientSchema, body: messageBodySchema }).strict(),
  inbox: z
    .object({
      limit: z.number().int().min(1).max(Limits.MAX_LIST_LIMIT).optional(),
      unread: z.boolean().optional(),
    })
    .strict(),
  mark_read: z.object({ id: z.number().int().positive().optional() }).strict(),
  logs: z.object({ name: agentNameSchema, lines: z.number().int().min(1).max(10_000).optional() }).strict(),
  login_url: z.object({}).strict(),
  request_spawn: z.object({ name: agentNameSchema, description: z.string().max(4096).optional() }).strict(),
  rebuild: byName,
  destroy: z.object({ name: agentNameSchema, purge: z.boolean().optional() }).strict(),
  pending: z.object({ all: z.boolean().optional() }).strict(),
  approve: byId,
  deny: z.object({ id: z.number().int().positive(), note: z.string().max(4096).optional() }).strict(),
  questions: z.object({ all: z.boolean().optional() }).strict(),
  answer: z
    .object({
      id: z.number().int().positive(),
      text: z.string().max(Limits.MAX_QUESTION_CHARS).optional(),
      options: z.array(z.string().min(1).max(Limits.MAX_OPTION_CHARS)).max(Limits.MAX_QUESTION_OPTIONS).optional(),
    })
    .strict(),
  cancel_question: byId,
  model: z.object({ name: agentNameSchema, model: z.string().min(1).max(128).nullable() }).strict(),
} as const

export type AdminOp = keyof typeof adminOps
export type AdminOpArgs<K extends AdminOp> = z.infer<(typeof adminOps)[K]>
