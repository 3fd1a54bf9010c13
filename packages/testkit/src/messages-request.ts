import * as z from 'zod'

const block = z.looseObject({ type: z.string(), text: z.string().optional(), name: z.string().optional() })
const content = z.union([z.string(), z.array(block)])

/** The parts of a Messages API request the fake reads; everything else passes through untouched. */
export const messagesRequestSchema = z.looseObject({
  model: z.string(),
  stream: z.boolean().optional(),
  system: z.union([z.string(), z.array(block)]).optional(),
  messages: z.array(z.looseObject({ role: z.string(), content })),
  tools: z.array(z.looseObject({ name: z.string() })).optional(),
})
export type MessagesRequest = z.infer<typeof messagesRequestSchema>
export type ContentBlock = z.infer<typeof block>

export function textOf(value: string | ContentBlock[] | undefined): string {
  if (value === undefined) return ''
  if (typeof value === 'string') return value
  return value
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text)
    .join('\n')
}

const isToolResultMessage = (m: MessagesRequest['messages'][number]) =>
  Array.isArray(m.content) && m.content.some((b) => b.type === 'tool_result')

const isToolSearchCall = (m: MessagesRequest['messages'][number]) =>
  Array.isArray(m.content) && m.content.some((b) => b.type === 'tool_use' && b.name === 'ToolSearch') &&
  m.content.every((b) => b.type !== 'tool_use' || b.name === 'ToolSearch')

/**
 * Where the current turn stands, from the conversation alone (so several CLI processes and
 * `--continue` sessions can share one fake without consuming each other's steps): the turn starts
 * at the last user message that is not a tool result; its step is the number of assistant
 * replies after it.
 */
export function turnPosition(req: MessagesRequest): { turnText: string; step: number; toolSearches: number } {
  let start = -1
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i]
    if (m && m.role === 'user' && !isToolResultMessage(m)) {
      start = i
      break
    }
  }
  const after = req.messages.slice(start + 1).filter((m) => m.role === 'assistant')
  const toolSearches = after.filter(isToolSearchCall).length
  return {
    turnText: start >= 0 ? textOf(req.messages[start]?.content) : '',
    step: after.length - toolSearches,
    toolSearches,
  }
}
