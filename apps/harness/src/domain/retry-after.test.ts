import { describe, expect, it } from 'vitest'
import { parseRetryAfter } from './retry-after.ts'

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-12-02T12:00:00Z')

  it('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7000)
    expect(parseRetryAfter(['30', '1'], now)).toBe(30_000)
    expect(parseRetryAfter('Wed, 02 Dec 2026 12:01:00 GMT', now)).toBe(60_000)
  })

  it('ignores what is absent, malformed or already past', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
    expect(parseRetryAfter('-5', now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter('99999999999999', now)).toBeUndefined()
    expect(parseRetryAfter('Wed, 02 Dec 2026 11:00:00 GMT', now)).toBeUndefined()
  })
})
