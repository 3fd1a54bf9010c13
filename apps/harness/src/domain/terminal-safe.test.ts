import { describe, expect, it } from 'vitest'
import { terminalSafe, terminalSafeJson } from './terminal-safe.ts'

const HOSTILE = 'a\x1b]0;pwned\x07\x1b[2J\u009b31m\r\x00\x7f\u0085z'

describe('terminalSafe', () => {
  it('turns ESC, BEL, CR, NUL, DEL and C1 into visible escapes', () => {
    expect(terminalSafe(HOSTILE)).toBe('a\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m\\x0d\\x00\\x7f\\u0085z')
  })

  it('keeps newlines, tabs and ordinary text (non-Latin included)', () => {
    const text = 'line 1\n\tline 2 — ünïcödé ✓ 漢字 \u00a0nbsp'
    expect(terminalSafe(text)).toBe(text)
  })

  it('leaves no byte a terminal acts on', () => {
    const out = Buffer.from(terminalSafe(HOSTILE), 'utf8')
    expect(out.includes(0x1b)).toBe(false)
    expect([...out].some((b) => b < 0x20 && b !== 0x0a && b !== 0x09)).toBe(false)
    expect(/\xc2[\x80-\x9f]/.test(out.toString('latin1'))).toBe(false)
  })
})

describe('terminalSafeJson', () => {
  it('escapes DEL and C1 too, and still parses to the same value', () => {
    const value = { body: HOSTILE, nested: [HOSTILE] }
    const json = terminalSafeJson(value)
    expect([...json].filter((c) => c.charCodeAt(0) < 0x20 ? c !== '\n' : c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f)).toEqual([])
    expect(json).toContain('\\u009b31m')
    expect(JSON.parse(json)).toEqual(value)
  })
})

describe('bidirectional controls', () => {
  it('are shown as escapes, so a diff reads as what it is', () => {
    expect(terminalSafe('ok\u202e}\u2066x')).toBe('ok\\u202e}\\u2066x')
    const json = terminalSafeJson({ body: 'a\u202eb' })
    expect(json).toContain('\\u202e')
    expect(JSON.parse(json)).toEqual({ body: 'a\u202eb' })
  })
})
