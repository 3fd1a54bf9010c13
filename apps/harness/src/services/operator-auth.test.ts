import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { loadOrCreateOperatorToken } from '../adapters/operator-token.ts'
import { OperatorAuth } from './operator-auth.ts'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'hive-auth-'))
  dirs.push(dir)
  const tokenFile = join(dir, 'operator.token')
  const token = loadOrCreateOperatorToken(tokenFile)
  const live = new Set<string>()
  const sessions = {
    create: vi.fn(() => {
      const id = `session-${live.size + 1}`
      live.add(id)
      return Promise.resolve(id)
    }),
    validate: vi.fn((id: string) => Promise.resolve(live.has(id))),
    revokeAll: vi.fn(() => {
      const count = live.size
      live.clear()
      return Promise.resolve(count)
    }),
  }
  return { tokenFile, token, sessions, auth: new OperatorAuth({ tokenFile, token, sessions }) }
}

describe('OperatorAuth', () => {
  it('opens a session only for the operator token', async () => {
    const { auth, token, sessions } = setup()
    expect(await auth.login('wrong')).toBeUndefined()
    expect(sessions.create).not.toHaveBeenCalled()
    const id = await auth.login(token)
    expect(id).toBe('session-1')
    expect(await auth.authenticate({ session: id })).toBe(true)
    expect(await auth.authenticate({ session: 'session-9' })).toBe(false)
    expect(await auth.authenticate({})).toBe(false)
  })

  it('accepts the bearer token without touching sessions', async () => {
    const { auth, token, sessions } = setup()
    expect(await auth.authenticate({ bearer: token })).toBe(true)
    expect(await auth.authenticate({ bearer: `${token}x` })).toBe(false)
    expect(sessions.validate).not.toHaveBeenCalled()
  })

  it('rotation writes a new 0600 token, retires the old one and revokes every session', async () => {
    const { auth, token, tokenFile } = setup()
    const session = await auth.login(token)
    expect(await auth.rotateToken()).toBe(1)

    expect(auth.token).not.toBe(token)
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(auth.token)
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600)
    expect(await auth.authenticate({ bearer: token })).toBe(false)
    expect(await auth.login(token)).toBeUndefined()
    expect(await auth.authenticate({ session })).toBe(false)
    expect(await auth.authenticate({ bearer: auth.token })).toBe(true)
    expect(await auth.login(auth.token)).toBeDefined()
  })

  it('logoutAll revokes every session but keeps the token', async () => {
    const { auth, token } = setup()
    const a = await auth.login(token)
    const b = await auth.login(token)
    expect(await auth.logoutAll()).toBe(2)
    expect(await auth.authenticate({ session: a })).toBe(false)
    expect(await auth.authenticate({ session: b })).toBe(false)
    expect(await auth.authenticate({ bearer: token })).toBe(true)
  })
})
