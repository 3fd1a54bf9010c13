import type { ServerResponse } from 'node:http'
import type { ToolCall } from './scenario.ts'

export interface ReplyContent {
  text?: string
  toolUses: ToolCall[]
}

let nextId = 1
const id = (prefix: string) => `${prefix}_fake${String(nextId++).padStart(8, '0')}`

function blocks(reply: ReplyContent): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  if (reply.text) out.push({ type: 'text', text: reply.text })
  for (const t of reply.toolUses) out.push({ type: 'tool_use', id: id('toolu'), name: t.name, input: t.input })
  return out
}

const usage = (reply: ReplyContent) => ({
  input_tokens: 100,
  output_tokens: 10 + (reply.text?.length ?? 0) + reply.toolUses.length * 20,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
})

/** A complete non-streaming Messages API answer. */
export function jsonMessage(model: string, reply: ReplyContent): Record<string, unknown> {
  return {
    id: id('msg'),
    type: 'message',
    role: 'assistant',
    model,
    content: blocks(reply),
    stop_reason: reply.toolUses.length ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: usage(reply),
  }
}

/** The same answer as the real API streams it: message_start … message_stop, in SSE frames. */
export function writeSse(res: ServerResponse, model: string, reply: ReplyContent): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  const message = jsonMessage(model, reply)
  const u = usage(reply)
  send('message_start', {
    type: 'message_start',
    message: { ...message, content: [], stop_reason: null, usage: { ...u, output_tokens: 1 } },
  })
  blocks(reply).forEach((b, index) => {
    if (b.type === 'text') {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } })
      send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: b.text } })
    } else {
      send('content_block_start', { type: 'content_block_start', index, content_block: { ...b, input: {} } })
      send('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) },
      })
    }
    send('content_block_stop', { type: 'content_block_stop', index })
  })
  send('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: message.stop_reason, stop_sequence: null },
    usage: { output_tokens: u.output_tokens },
  })
  send('message_stop', { type: 'message_stop' })
  res.end()
}
