import { randomBytes, timingSafeEqual, createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'

/** The operator's secret: created once (0600), then read at every start. */
export function loadOrCreateOperatorToken(file: string): string {
  try {
    const token = readFileSync(file, 'utf8').trim()
    if (token.length >= 32) return token
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  const token = randomBytes(32).toString('base64url')
  writeFileSync(file, token + '\n', { mode: 0o600, flag: 'w' })
  return token
}

/** Constant-time in the token's length too: both sides are hashed to 32 bytes first. */
export function tokenMatches(candidate: string, token: string): boolean {
  const a = createHash('sha256').update(candidate).digest()
  const b = createHash('sha256').update(token).digest()
  return timingSafeEqual(a, b)
}
