import * as z from 'zod'
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

/** Longer than any model id Anthropic or a Bedrock/Vertex profile uses. */
const MAX_MODEL_NAME_CHARS = 128
/**
 * A model as `claude --model` takes it: an alias (`sonnet`, `opus[1m]`) or an id
 * (`claude-opus-4-1-20250805`, `us.anthropic.claude-sonnet-4-5@v1:0`, `org/model`). It reaches an
 * argv and the model gateway, so spaces, quotes and shell characters are refused outright.
 */
export const modelNameSchema = z
  .string()
  .min(1, 'model name is empty')
  .max(MAX_MODEL_NAME_CHARS, `model name is longer than ${MAX_MODEL_NAME_CHARS} characters`)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@[\]-]*$/, 'model name must start with a letter or digit and contain only letters, digits and . _ - : / @ [ ] (no spaces or shell characters)')

export const messageBodySchema = z
  .string()
  .min(1, 'body is empty')
  .refine((b) => Buffer.byteLength(b, 'utf8') <= Limits.MAX_BODY_BYTES, {
    message: `body is larger than ${Limits.MAX_BODY_BYTES} bytes`,
  })
