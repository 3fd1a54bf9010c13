import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { applyMigrations, MessageStore, type StoredMessage } from '@hive/db'
import Database from 'better-sqlite3'
import { afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import { Broker } from './broker.ts'

/** hive.db right after the real migrations, serialized; each test opens its own in-memory copy. */
let migratedImage: Buffer

beforeAll(async () => {
  // Migrating costs ~0.3–0.6 s (the Wasm schema engine), so it runs once per file, not per test.
  const dir = mkdtempSync(join(tmpdir(), 'hive-broker-test-'))
  try {
    const file = join(dir, 'hive.db')
    await applyMigrations(file)
    const db = new Database(file)
    try {
      db.pragma('journal_mode = DELETE') // SQLite cannot deserialize a WAL-mode image into memory
      migratedImage = db.serialize()
    } finally {
      db.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

// Parks wait on setTimeout; faking only the timers keeps setImmediate real for `settle()`.
beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }))
afterEach(() => vi.useRealTimers())

function setup() {
  const db = new Database(migratedImage)
  onTestFinished(() => {
    db.close()
  })
  const store = new MessageStore(db)
  let t = 1_000
  const now = () => t
  const broker = new Broker(store, now)
  /** Moves the injected clock and the fake timers together, as real time would. */
  const elapse = async (ms: number) => {
    t += ms
    await vi.advanceTimersByTimeAsync(ms)
  }
  return { broker, store, now, elapse }
}

/** A promise's state, readable without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T } = { settled: false }
  void promise.then((value) => {
    state.settled = true
    state.value = value
  })
  return state
}

/** Lets every queued continuation run (setImmediate fires after the microtask queue drains). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('Broker', () => {
  it('wakes a parked recv as soon as a message for it is sent, and only that recipient', async () => {
    const { broker } = setup()
    const other = new AbortController()
    const forW = track(broker.recv('w', 60_000))
    const forX = track(broker.recv('x', 60_000, other.signal))
    await settle()
    expect(forW.settled).toBe(false)

    const [row] = broker.send('a', ['w'], 'hello')
    await settle()

    // No timer was advanced: the send itself woke the receiver.
    expect(forW.settled).toBe(true)
    expect(forW.value).toMatchObject({ id: row?.id, recipient: 'w', body: 'hello' })
    expect(forX.settled).toBe(false)
    expect(broker.unread('x')).toBe(0)
    other.abort()
  })

  it('never hands one row to two parked receivers', async () => {
    const { broker } = setup()
    const first = track(broker.recv('w', 60_000))
    const second = track(broker.recv('w', 60_000))
    await settle()

    broker.send('a', ['w'], 'only one')
    await settle()
    const winners = [first, second].filter((r) => r.settled)
    expect(winners).toHaveLength(1)
    expect(winners[0]?.value?.body).toBe('only one')

    // The loser went back to waiting and takes the next row, not the same one.
    broker.send('a', ['w'], 'the next one')
    await settle()
    expect(first.settled && second.settled).toBe(true)
    expect(first.value?.id).not.toBe(second.value?.id)
    expect([first.value?.body, second.value?.body].sort()).toEqual(['only one', 'the next one'])
    expect(broker.unread('w')).toBe(0)
  })

  it('returns undefined once the wait runs out', async () => {
    const { broker, elapse } = setup()
    const result = track(broker.recv('w', 1_000))

    await elapse(999)
    expect(result.settled).toBe(false)
    await elapse(1)
    expect(result.settled).toBe(true)
    expect(result.value).toBeUndefined()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('ends the park when the signal aborts', async () => {
    const { broker } = setup()
    const abort = new AbortController()
    const result = track(broker.recv('w', 60_000, abort.signal))
    await settle()
    expect(result.settled).toBe(false)

    abort.abort()
    await settle()
    expect(result.settled).toBe(true)
    expect(result.value).toBeUndefined()
    expect(vi.getTimerCount()).toBe(0)
    // The ended park no longer listens: a later message stays queued.
    broker.send('a', ['w'], 'after the abort')
    expect(broker.unread('w')).toBe(1)
  })

  it('does not park with no wait or an already aborted signal', async () => {
    const { broker } = setup()
    expect(await broker.recv('w', 0)).toBeUndefined()
    expect(await broker.recv('w', 60_000, AbortSignal.abort())).toBeUndefined()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('acks only the rows it leased', async () => {
    const { broker, store, now } = setup()
    broker.send('a', ['w'], 'leased')
    broker.send('a', ['w'], 'still queued')
    broker.send('a', ['x'], 'someone else')
    const leased = await broker.recv('w', 0)

    expect(broker.ack('w')).toBe(1)
    expect(store.get(leased?.id ?? -1)).toMatchObject({ body: 'leased', ackedAt: now() })
    expect(store.recentFor('w', 10).find((m) => m.body === 'still queued')).toMatchObject({ deliveredAt: null, ackedAt: null })
    expect(store.recentFor('x', 10)[0]).toMatchObject({ deliveredAt: null, ackedAt: null })
    expect(broker.ack('w')).toBe(0)
    expect(broker.requeue('w')).toBe(0) // acked rows are done with
  })

  it('requeues un-acked leases flagged redelivered and wakes a parked receiver', async () => {
    const { broker } = setup()
    broker.send('a', ['w'], 'crashed mid-turn')
    const firstLease = await broker.recv('w', 0)
    expect(firstLease?.redelivered).toBe(false)
    const parked = track(broker.recv('w', 60_000))
    await settle()
    expect(parked.settled).toBe(false)

    expect(broker.requeue('w')).toBe(1)
    await settle()
    expect(parked.settled).toBe(true)
    expect(parked.value).toMatchObject({ id: firstLease?.id, body: 'crashed mid-turn', redelivered: true })
  })

  it('emits read when markRead marks something, and not otherwise', () => {
    const { broker } = setup()
    const read = vi.fn<(recipient: string) => void>()
    broker.events.on('read', read)
    const [first] = broker.send('w', ['operator'], 'done')
    broker.send('w', ['operator'], 'also done')

    expect(broker.markRead('operator', first?.id)).toBe(1)
    expect(read).toHaveBeenCalledTimes(1)
    expect(read).toHaveBeenLastCalledWith('operator')
    expect(broker.markRead('operator', first?.id)).toBe(0)
    expect(read).toHaveBeenCalledTimes(1)
    expect(broker.markRead('operator')).toBe(1)
    expect(read).toHaveBeenCalledTimes(2)
    expect(broker.unread('operator')).toBe(0)
  })

  it('emits sent for every inserted row and delivered with the leased row', async () => {
    const { broker, now } = setup()
    const sent = vi.fn<(row: StoredMessage) => void>()
    const delivered = vi.fn<(row: StoredMessage) => void>()
    broker.events.on('sent', sent)
    broker.events.on('delivered', delivered)

    const rows = broker.send('manager', ['a', 'b'], 'hello all', true)
    expect(sent.mock.calls).toEqual(rows.map((row) => [row]))
    expect(rows.map((r) => [r.recipient, r.broadcast])).toEqual([
      ['a', true],
      ['b', true],
    ])
    expect(delivered).not.toHaveBeenCalled()

    const leased = await broker.recv('b', 0)
    expect(leased).toMatchObject({ id: rows[1]?.id, deliveredAt: now() })
    expect(delivered.mock.calls).toEqual([[leased]])
    expect(await broker.recv('b', 0)).toBeUndefined()
    expect(delivered).toHaveBeenCalledTimes(1)
  })
})
