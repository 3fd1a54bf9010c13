import { describe, expect, it } from 'vitest'
import { capPayload, type TruncatedPayload } from './capped-payload.ts'

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8')
const CAP = 4096

describe('capPayload', () => {
  it('keeps a payload that fits, and reports its JSON bytes', () => {
    const payload = { type: 'user', text: '漢字 and ascii' }
    expect(capPayload(payload, CAP)).toEqual({ payload, bytes: jsonBytes(payload) })
    expect(capPayload(undefined, CAP)).toEqual({ payload: null, bytes: 4 })
  })

  it('measures UTF-8 bytes, not chars: CJK under the cap in chars is over it in bytes', () => {
    const text = '漢'.repeat(2000) // 2000 chars, 6000 bytes
    const { payload, bytes } = capPayload({ content: text }, CAP)
    const marker = payload as TruncatedPayload
    expect(marker).toMatchObject({ truncated: true, bytes: jsonBytes({ content: text }) })
    expect(marker.head.startsWith('{"content":"漢漢')).toBe(true)
    expect(bytes).toBe(jsonBytes(marker))
    expect(bytes).toBeLessThanOrEqual(CAP)
  })

  it('never splits a character, and keeps a string payload as its own text', () => {
    const text = 'a' + '😀'.repeat(3000)
    const marker = capPayload(text, CAP).payload as TruncatedPayload
    expect(marker.head.startsWith('a😀')).toBe(true)
    expect(marker.head).not.toMatch(/[\ud800-\udbff]$/) // no lone high surrogate at the cut
    expect(Buffer.from(marker.head, 'utf8').toString('utf8')).toBe(marker.head)
  })

  it('fits the marker even when escaping doubles or sextuples the text', () => {
    for (const filler of ['"', '\\', '\u0001']) {
      const { payload, bytes } = capPayload(filler.repeat(10_000), CAP)
      const marker = payload as TruncatedPayload
      expect(bytes).toBe(jsonBytes(marker))
      expect(bytes).toBeLessThanOrEqual(CAP)
      expect(marker.head.length).toBeGreaterThan(0)
      expect(new Set(marker.head)).toEqual(new Set([filler]))
    }
  })
})
