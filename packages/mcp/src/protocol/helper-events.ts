import * as z from 'zod'

/**
 * Helper events of design.md: JSON bodies of messages from sender `system`, discriminated by
 * `event`. The manager's prompt names exactly these (a unit test keeps the two in step).
 */
export const helperEventSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('spawned'), agent: z.string() }),
  z.object({ event: z.literal('rebuilt'), agent: z.string(), by: z.string() }),
  z.object({ event: z.literal('killed'), agent: z.string(), by: z.string() }),
  z.object({ event: z.literal('destroyed'), agent: z.string(), purged: z.boolean() }),
  z.object({
    event: z.literal('container_crash'),
    agent: z.string(),
    note: z.string(),
    /** systemd's Result of the agent's unit (`signal`, `exit-code`, `oom-kill`…); only under systemd. */
    result: z.string().optional(),
  }),
  z.object({
    event: z.literal('approval_resolved'),
    id: z.number().int(),
    kind: z.string(),
    agent: z.string(),
    status: z.string(),
    note: z.string().optional(),
    sha: z.string().optional(),
  }),
  z.object({ event: z.literal('operator_answered'), id: z.number().int(), question: z.string(), answer: z.string() }),
  z.object({ event: z.literal('question_expired'), id: z.number().int(), question: z.string(), answer: z.literal('[expired]') }),
  z.object({
    event: z.literal('message_dead_lettered'),
    id: z.number().int(),
    agent: z.string(),
    from: z.string(),
    attempts: z.number().int(),
    error: z.string(),
  }),
  z.object({ event: z.literal('notes_compacted'), agent: z.string(), bytes_before: z.number().int(), bytes_after: z.number().int() }),
])
export type HelperEvent = z.infer<typeof helperEventSchema>

export const HELPER_EVENT_NAMES: readonly HelperEvent['event'][] = helperEventSchema.options.map((o) => o.shape.event.value)
