import { randomBytes, timingSafeEqual, createHash } from 'node:crypto'
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'

/** Random bytes in an operator token (base64url: 43 characters). */
const TOKEN_BYTES = 32

/** The operator's secret: created once (0600), then read at every start until rotated. */
export function loadOrCreateOperatorToken(file: string): string {
  try {
    const token = readFileSync(file, 'utf8').trim()
    if (token.length >= 32) return token
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  return writeNewOperatorToken(file)
}

/**
 * A fresh token replaces the file atomically: written and synced under a temporary name created
 * 0600, then renamed over the old one, so a crash leaves either the old token or the new one.
 */
export function writeNewOperatorToken(file: string): string {
  const token = randomBytes(TOKEN_BYTES).toString('base64url')
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  const fd = openSync(temp, 'wx', 0o600)
  try {
    writeSync(fd, token + '\n')
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  try {
    renameSync(temp, file)
  } catch (e) {
    rmSync(temp, { force: true })
    throw e
  }
  return token
}

/** Constant-time in the token's length too: both sides are hashed to 32 bytes first. */
export function tokenMatches(candidate: string, token: string): boolean {
  const a = createHash('sha256').update(candidate).digest()
  const b = createHash('sha256').update(token).digest()
  return timingSafeEqual(a, b)
}
