import { afterEach, describe, expect, it } from 'vitest'
import { PROMPT_TOO_LONG, onTurnContaining } from './scenario.ts'
import { startFakeAnthropic, type FakeAnthropic } from './fake-anthropic.ts'

let fake: FakeAnthropic | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

type Msg = { role: string; content: unknown }
const post = (url: string, messages: Msg[], extra: Record<string, unknown> = {}) =>
  fetch(`${url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 100, messages, ...extra }),
  })

/** Parses an SSE body into its data frames. */
async function frames(res: Response): Promise<{ type: string; [k: string]: unknown }[]> {
  const text = await res.text()
  return text
    .split('\n\n')
    .filter((f) => f.includes('data: '))
    .map((f) => JSON.parse(f.split('data: ')[1] ?? '{}') as { type: string })
}

describe('fake Anthropic Messages API', () => {
  it('streams the scripted steps like the real API, choosing the step from the conversation', async () => {
    fake = await startFakeAnthropic({
      scripts: [
        onTurnContaining('s', 'do it', [
          { toolUse: { name: 'mcp__hyperhive__send', input: { to: 'operator', body: 'hi' } } },
          { text: 'finished' },
        ]),
      ],
    })
    const tools = [{ name: 'mcp__hyperhive__send', input_schema: {} }]
    const first = await frames(await post(fake.url, [{ role: 'user', content: 'please do it' }], { stream: true, tools }))
    expect(first.map((f) => f.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ])
    expect(first[1]).toMatchObject({ content_block: { type: 'tool_use', name: 'mcp__hyperhive__send' } })
    expect(first[2]).toMatchObject({ delta: { type: 'input_json_delta', partial_json: '{"to":"operator","body":"hi"}' } })
    expect(first[4]).toMatchObject({ delta: { stop_reason: 'tool_use' } })

    const second = await frames(
      await post(
        fake.url,
        [
          { role: 'user', content: 'please do it' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'mcp__hyperhive__send', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'sent' }] },
        ],
        { stream: true, tools },
      ),
    )
    expect(second[2]).toMatchObject({ delta: { type: 'text_delta', text: 'finished' } })
    expect(fake.requests.map((r) => r.answer)).toEqual(['step 0', 'step 1'])
  })

  it('loads deferred tools through ToolSearch first', async () => {
    fake = await startFakeAnthropic({
      scripts: [onTurnContaining('s', 'go', [{ toolUse: { name: 'mcp__hyperhive__recv', input: {} } }])],
    })
    const res = await post(fake.url, [{ role: 'user', content: 'go' }], { tools: [{ name: 'ToolSearch' }] })
    const body = (await res.json()) as { content: { name: string; input: unknown }[] }
    expect(body.content[0]).toMatchObject({ name: 'ToolSearch', input: { query: 'select:mcp__hyperhive__recv' } })
    // Once loaded, the ToolSearch round does not count as a step.
    const res2 = await post(
      fake.url,
      [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'ToolSearch', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: '' }] },
      ],
      { tools: [{ name: 'ToolSearch' }, { name: 'mcp__hyperhive__recv' }] },
    )
    expect(((await res2.json()) as { content: { name: string }[] }).content[0]?.name).toBe('mcp__hyperhive__recv')
  })

  it('answers errors, unmatched requests and other paths, and logs them all', async () => {
    fake = await startFakeAnthropic({ scripts: [onTurnContaining('big', 'overflow', [PROMPT_TOO_LONG])], defaultText: 'ok' })
    const err = await post(fake.url, [{ role: 'user', content: 'overflow please' }])
    expect(err.status).toBe(400)
    const error = (await err.json()) as { error: { type: string; message: string } }
    expect(error.error.type).toBe('invalid_request_error')
    expect(error.error.message).toContain('prompt is too long')
    const plain = (await (await post(fake.url, [{ role: 'user', content: 'something else' }])).json()) as { content: { text: string }[] }
    expect(plain.content[0]?.text).toBe('ok')
    expect((await fetch(`${fake.url}/v1/models`)).status).toBe(404)
    expect(fake.requests.map((r) => r.answer)).toEqual(['error', 'default', 'not-found'])
    await expect(fake.waitForRequest((r) => r.answer === 'never', 50)).rejects.toThrow('no matching request')
  })
})
