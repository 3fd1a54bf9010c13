import { describe, expect, it } from 'vitest'
import { UsageTap } from './messages-usage.ts'

const sse = (events: object[]) => events.map((e) => `event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`).join('')

describe('UsageTap', () => {
  const stream = sse([
    { type: 'message_start', message: { model: 'claude-haiku-4-5', usage: { input_tokens: 120, cache_read_input_tokens: 30, cache_creation_input_tokens: 7, output_tokens: 1 } } },
    { type: 'content_block_delta', delta: { type: 'text_delta', text: 'x'.repeat(200_000) } },
    { type: 'message_delta', usage: { output_tokens: 42 } },
    { type: 'message_stop' },
  ])

  it('reads input, cache and output tokens from an SSE stream fed in arbitrary pieces', () => {
    const bytes = Buffer.from(stream)
    for (const size of [1, 7, 4096, bytes.length]) {
      const tap = new UsageTap('sse')
      for (let i = 0; i < bytes.length; i += size) tap.feed(bytes.subarray(i, i + size))
      expect(tap.result()).toEqual({ model: 'claude-haiku-4-5', tokensIn: 120, tokensOut: 42, tokensCacheRead: 30, tokensCacheWrite: 7 })
    }
  })

  it('reads a non-streamed JSON answer at the end', () => {
    const tap = new UsageTap('json')
    tap.feed(Buffer.from(JSON.stringify({ model: 'claude-sonnet', usage: { input_tokens: 5, output_tokens: 9 } })))
    expect(tap.result()).toMatchObject({ model: 'claude-sonnet', tokensIn: 5, tokensOut: 9 })
  })

  it('counts nothing from garbage, error pages or other content', () => {
    for (const kind of ['sse', 'json', 'other'] as const) {
      const tap = new UsageTap(kind)
      tap.feed(Buffer.from('data: {not json "message_start"\n<html>oops</html>'))
      expect(tap.result()).toEqual({ model: undefined, tokensIn: 0, tokensOut: 0, tokensCacheRead: 0, tokensCacheWrite: 0 })
    }
  })
})
