import { describe, expect, it } from 'vitest'
import { closeReason } from './close-reason.ts'

describe('closeReason', () => {
  it('keeps a reason that fits', () => {
    expect(closeReason('session ended')).toBe('session ended')
    expect(closeReason('x'.repeat(123))).toBe('x'.repeat(123))
  })

  it('cuts a long reason to 123 bytes on a character boundary, whatever the characters', () => {
    for (const char of ['x', 'é', 'अ', '🐝']) {
      for (let lead = 0; lead < 4; lead++) {
        const reason = closeReason('a'.repeat(lead) + char.repeat(200))
        expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123)
        expect(Buffer.byteLength(reason)).toBeGreaterThan(123 - 3 - Buffer.byteLength(char))
        expect(reason).not.toContain('\uFFFD') // no half character decoded as a replacement
        expect(reason.endsWith('…')).toBe(true)
      }
    }
  })
})
