import { describe, expect, it, vi } from 'vitest'
import { Limits } from '@hive/mcp'
import type { TruncatedPayload } from '../domain/capped-payload.ts'
import { EventForwarder, type ForwardedEvent } from './event-forwarder.ts'

/** The bytes of the socket line the turn loop's client writes for one `turn_events` call. */
const lineBytes = (events: ForwardedEvent[]) => Buffer.byteLength(JSON.stringify({ id: Number.MAX_SAFE_INTEGER, op: 'turn_events', args: { events } }), 'utf8')

/** ~100 KB of CJK (3 bytes a char), as a Read of such a file comes back in stream-json. */
function cjkToolResult(n: number): unknown {
  const text = Array.from({ length: 34_000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7 + n) % 20_000))).join('')
  return { type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: `toolu_${n}`, content: text }] }, tool_use_result: { file: { content: text } } }
}

function recordingForwarder() {
  const calls: ForwardedEvent[][] = []
  const onError = vi.fn<(e: unknown) => void>()
  const forwarder = new EventForwarder((events) => {
    calls.push(events)
    return Promise.resolve({})
  }, onError)
  return { forwarder, calls, onError }
}

describe('EventForwarder', () => {
  it('sends three parallel 100 KB CJK tool results in calls that each fit one socket line', async () => {
    const { forwarder, calls, onError } = recordingForwarder()
    forwarder.push('assistant', { type: 'assistant' })
    for (const n of [1, 2, 3]) forwarder.push('user', cjkToolResult(n))
    forwarder.push('result:success', { type: 'result' })
    await forwarder.flush()

    expect(onError).not.toHaveBeenCalled()
    for (const call of calls) expect(lineBytes(call)).toBeLessThanOrEqual(Limits.MAX_LINE_BYTES)
    const sent = calls.flat()
    expect(sent.map((e) => e.kind)).toEqual(['assistant', 'user', 'user', 'user', 'result:success'])
    for (const e of sent.filter((x) => x.kind === 'user')) {
      expect(e.payload).toMatchObject({ truncated: true, bytes: Buffer.byteLength(JSON.stringify(cjkToolResult(1)), 'utf8') })
      expect(Buffer.byteLength(JSON.stringify(e.payload), 'utf8')).toBeLessThanOrEqual(Limits.MAX_EVENT_PAYLOAD_BYTES)
    }
  })

  it('splits a queue that outgrew one call by bytes, keeping the order', async () => {
    const { forwarder, calls } = recordingForwarder()
    // Each just under the payload cap: the byte bound, not the event count, cuts the calls.
    const big = (i: number) => ({ i, text: 'é'.repeat(Limits.MAX_EVENT_PAYLOAD_BYTES / 2 - 20) })
    for (let i = 0; i < 12; i++) forwarder.push('assistant', big(i))
    await forwarder.flush()

    expect(calls.length).toBeGreaterThan(1)
    for (const call of calls) {
      expect(call.length).toBeLessThan(12)
      expect(lineBytes(call)).toBeLessThanOrEqual(Limits.MAX_LINE_BYTES)
    }
    expect(calls.flat().map((e) => (e.payload as { i: number }).i)).toEqual([...Array(12).keys()])
    expect(calls.flat().every((e) => !('truncated' in (e.payload as object)))).toBe(true)
  })

  it('caps a payload by bytes: under the cap in chars, over it in UTF-8', async () => {
    const { forwarder, calls } = recordingForwarder()
    const text = '漢'.repeat(Limits.MAX_EVENT_PAYLOAD_BYTES / 2) // half the cap in chars, 1.5× in bytes
    forwarder.push('stderr', text)
    forwarder.push('text', 'small')
    await forwarder.flush()

    const [stderr, small] = calls.flat()
    const marker = stderr?.payload as TruncatedPayload
    expect(marker).toMatchObject({ truncated: true, bytes: Buffer.byteLength(JSON.stringify(text), 'utf8') })
    expect(text.startsWith(marker.head)).toBe(true)
    expect(small).toEqual({ kind: 'text', payload: 'small' })
  })

  it('bounds a call by event count too, and clips an overlong kind to what the daemon accepts', async () => {
    const { forwarder, calls } = recordingForwarder()
    for (let i = 0; i < 200; i++) forwarder.push('x'.repeat(100), i)
    await forwarder.flush()

    expect(calls.flat().map((e) => e.payload)).toEqual([...Array(200).keys()])
    for (const call of calls) expect(call.length).toBeLessThanOrEqual(64)
    expect(calls.flat().every((e) => e.kind === 'x'.repeat(64))).toBe(true)
  })

  it('reports a refused call and goes on with the next', async () => {
    const refusal = new Error('refused')
    const sent: unknown[] = []
    const onError = vi.fn<(e: unknown) => void>()
    let first = true
    const forwarder = new EventForwarder((events) => {
      if (first) {
        first = false
        return Promise.reject(refusal)
      }
      sent.push(...events.map((e) => e.payload))
      return Promise.resolve({})
    }, onError)

    forwarder.push('a', 1)
    await forwarder.flush()
    forwarder.push('b', 2)
    await forwarder.flush()

    expect(onError).toHaveBeenCalledWith(refusal)
    expect(sent).toEqual([2])
  })
})
