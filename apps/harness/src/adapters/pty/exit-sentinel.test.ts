import { describe, expect, it } from 'vitest'
import { SentinelScanner } from './exit-sentinel.ts'

describe('SentinelScanner', () => {
  it('passes output through and finds the exit code, even split byte by byte', () => {
    const data = Buffer.from('hello\r\nworld\x1b]7777;exit=42\x07tail-ignored')
    const scanner = new SentinelScanner()
    let out = ''
    let code: number | undefined
    for (let i = 0; i < data.length; i++) {
      const r = scanner.feed(data.subarray(i, i + 1))
      out += r.output.toString()
      code ??= r.exitCode
    }
    expect(out).toBe('hello\r\nworld')
    expect(code).toBe(42)
  })

  it('does not hold back ordinary escape sequences forever', () => {
    const scanner = new SentinelScanner()
    expect(scanner.feed(Buffer.from('a\x1b]')).output.toString()).toBe('a')
    expect(scanner.feed(Buffer.from('0;title\x07b')).output.toString()).toBe('\x1b]0;title\x07b')
    expect(scanner.flush().length).toBe(0)
  })

  it('finds a sentinel split across two chunks at any point', () => {
    const data = Buffer.from('x'.repeat(4000) + '\x1b[0m\x1b]7777;exit=3\x07')
    for (let cut = 3990; cut < data.length; cut++) {
      const scanner = new SentinelScanner()
      const a = scanner.feed(data.subarray(0, cut))
      const b = scanner.feed(data.subarray(cut))
      expect(Buffer.concat([a.output, b.output]).toString()).toBe('x'.repeat(4000) + '\x1b[0m')
      expect(a.exitCode ?? b.exitCode).toBe(3)
    }
  })
})
