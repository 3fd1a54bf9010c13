import { describe, expect, it } from 'vitest'
import { OperatorSessions, SessionConstants, type SessionRows } from './operator-sessions.ts'

interface Row {
  idHash: string
  createdAt: Date
  lastSeenAt: Date
}

/** hive.db's OperatorSession table in memory, as OperatorSessionsRepository reads and writes it. */
class MemoryRows implements SessionRows {
  readonly rows = new Map<string, Row>()
  touches = 0

  create(idHash: string, at: Date) {
    const row = { idHash, createdAt: at, lastSeenAt: at }
    this.rows.set(idHash, row)
    return Promise.resolve(row)
  }
  find(idHash: string) {
    return Promise.resolve(this.rows.get(idHash) ?? null)
  }
  touch(idHash: string, at: Date) {
    const row = this.rows.get(idHash)
    if (row) {
      row.lastSeenAt = at
      this.touches++
    }
    return Promise.resolve(row !== undefined)
  }
  delete(idHash: string) {
    return Promise.resolve(this.rows.delete(idHash))
  }
  deleteIdleSince(cutoff: Date) {
    const idle = [...this.rows.values()].filter((r) => r.lastSeenAt < cutoff)
    for (const r of idle) this.rows.delete(r.idHash)
    return Promise.resolve(idle.length)
  }
  deleteAll() {
    const count = this.rows.size
    this.rows.clear()
    return Promise.resolve(count)
  }
}

const HOUR = 60 * 60 * 1000

function setup(idleMs = 12 * HOUR) {
  const clock = { now: 1_000_000 }
  const rows = new MemoryRows()
  const sessions = new OperatorSessions({ rows, idleMs, now: () => clock.now })
  return { clock, rows, sessions }
}

describe('OperatorSessions', () => {
  it('hands out a different 32-byte base64url id per login and stores only its hash', async () => {
    const { rows, sessions } = setup()
    const a = await sessions.create()
    const b = await sessions.create()

    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(a, 'base64url')).toHaveLength(SessionConstants.ID_BYTES)
    expect(b).not.toBe(a)
    expect(rows.rows.size).toBe(2)
    expect([...rows.rows.keys()]).not.toContain(a)
    expect(await sessions.validate(a)).toBe(true)
    expect(await sessions.validate(b)).toBe(true)
  })

  it('refuses unknown and malformed ids', async () => {
    const { sessions } = setup()
    await sessions.create()
    expect(await sessions.validate('A'.repeat(43))).toBe(false)
    expect(await sessions.validate('forged')).toBe(false)
    expect(await sessions.validate('')).toBe(false)
  })

  it('expires a session idle longer than idleMs and deletes it; use keeps it alive', async () => {
    const { clock, rows, sessions } = setup(12 * HOUR)
    const used = await sessions.create()
    const idle = await sessions.create()

    clock.now += 11 * HOUR
    expect(await sessions.validate(used)).toBe(true)
    clock.now += 11 * HOUR // 22 h since login, 11 h since last use
    expect(await sessions.validate(used)).toBe(true)
    expect(await sessions.validate(idle)).toBe(false)
    expect(rows.rows.size).toBe(1)

    clock.now += 12 * HOUR + 1
    expect(await sessions.validate(used)).toBe(false)
    expect(rows.rows.size).toBe(0)
  })

  it('writes the last use at most once per touch interval', async () => {
    const { clock, rows, sessions } = setup()
    const id = await sessions.create()
    for (let i = 0; i < 10; i++) {
      clock.now += 1000
      expect(await sessions.validate(id)).toBe(true)
    }
    expect(rows.touches).toBe(0)
    clock.now += SessionConstants.TOUCH_INTERVAL_MS
    expect(await sessions.validate(id)).toBe(true)
    expect(rows.touches).toBe(1)
  })

  it('touches often enough for a short idle time to stay exact to a tenth', async () => {
    const { clock, sessions } = setup(1000)
    const id = await sessions.create()
    for (let i = 0; i < 5; i++) {
      clock.now += 900
      expect(await sessions.validate(id)).toBe(true)
    }
    clock.now += 1001
    expect(await sessions.validate(id)).toBe(false)
  })

  it('prunes expired sessions at the next login', async () => {
    const { clock, rows, sessions } = setup(HOUR)
    await sessions.create()
    await sessions.create()
    clock.now += HOUR + 1
    await sessions.create()
    expect(rows.rows.size).toBe(1)
  })

  it('revokeAll ends every session', async () => {
    const { sessions } = setup()
    const a = await sessions.create()
    const b = await sessions.create()
    expect(await sessions.revokeAll()).toBe(2)
    expect(await sessions.validate(a)).toBe(false)
    expect(await sessions.validate(b)).toBe(false)
  })
})
