import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadOrCreateOperatorToken, tokenMatches } from './operator-token.ts'

describe('operator token', () => {
  it('is created once with mode 0600 and then reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hive-token-'))
    try {
      const file = join(dir, 'operator.token')
      const token = loadOrCreateOperatorToken(file)
      expect(token.length).toBeGreaterThanOrEqual(43)
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(loadOrCreateOperatorToken(file)).toBe(token)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('compares in constant time over equal-length digests, whatever the input length', () => {
    expect(tokenMatches('secret-token', 'secret-token')).toBe(true)
    expect(tokenMatches('secret-tokeN', 'secret-token')).toBe(false)
    expect(tokenMatches('', 'secret-token')).toBe(false)
    expect(tokenMatches('x'.repeat(10_000), 'secret-token')).toBe(false)
  })
})
