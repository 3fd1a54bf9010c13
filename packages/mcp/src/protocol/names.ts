import { z } from 'zod'
import { Limits } from './limits.ts'

const AGENT_NAME_PATTERN = /^[a-z][a-z0-9-]{0,30}$/
/** Names with a meaning of their own on the wire; no agent may take them. */
const RESERVED_NAMES = ['operator', 'system', 'self', '*'] as const
export const MANAGER_NAME = 'manager'
export const OPERATOR = 'operator'
export const SYSTEM = 'system'
export const BROADCAST = '*'

export const agentNameSchema = z
  .string()
  .min(1, 'agent name is empty')
  .max(31, 'agent name is longer than 31 characters')
  .regex(AGENT_NAME_PATTERN, 'agent name must match ^[a-z][a-z0-9-]{0,30}$ (lowercase letter first, then a-z 0-9 -)')
  .refine((n) => !(RESERVED_NAMES as readonly string[]).includes(n), {
    error: (issue) => `"${String(issue.input)}" is a reserved name`,
  })

/** `to` of a send: an agent, `operator`, or `*` (every live agent but the sender). */
export const recipientSchema = z.union([z.literal(OPERATOR), z.literal(BROADCAST), agentNameSchema], {
  error: 'recipient must be an agent name, "operator" or "*"',
})

export const messageBodySchema = z
  .string()
  .min(1, 'body is empty')
  .refine((b) => Buffer.byteLength(b, 'utf8') <= Limits.MAX_BODY_BYTES, {
    message: `body is larger than ${Limits.MAX_BODY_BYTES} bytes`,
  })
