import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadOrCreateOperatorToken, tokenMatches, writeNewOperatorToken } from './operator-token.ts'

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

  it('is rotated atomically: a new 0600 file, no temporary left behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hive-token-'))
    try {
      const file = join(dir, 'operator.token')
      const old = loadOrCreateOperatorToken(file)
      const rotated = writeNewOperatorToken(file)
      expect(rotated).not.toBe(old)
      expect(rotated).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(loadOrCreateOperatorToken(file)).toBe(rotated)
      expect(readdirSync(dir)).toEqual(['operator.token'])
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
