import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { applyMigrations, MessageStore, openDatabase, type StoredMessage } from '@hive/db'
import { HiveError, HiveErrorCode } from '@hive/mcp'
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

    const [row] = await broker.send('a', ['w'], 'hello')
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

    await broker.send('a', ['w'], 'only one')
    await settle()
    const winners = [first, second].filter((r) => r.settled)
    expect(winners).toHaveLength(1)
    expect(winners[0]?.value?.body).toBe('only one')

    // The loser went back to waiting and takes the next row, not the same one.
    await broker.send('a', ['w'], 'the next one')
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
    await broker.send('a', ['w'], 'after the abort')
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
    await broker.send('a', ['w'], 'leased')
    await broker.send('a', ['w'], 'still queued')
    await broker.send('a', ['x'], 'someone else')
    const leased = await broker.recv('w', 0)

    expect(await broker.ack('w')).toBe(1)
    expect(store.get(leased?.id ?? -1)).toMatchObject({ body: 'leased', ackedAt: now() })
    expect(store.recentFor('w', 10).find((m) => m.body === 'still queued')).toMatchObject({ deliveredAt: null, ackedAt: null })
    expect(store.recentFor('x', 10)[0]).toMatchObject({ deliveredAt: null, ackedAt: null })
    expect(await broker.ack('w')).toBe(0)
    expect(await broker.requeue('w')).toBe(0) // acked rows are done with
  })

  it('requeues un-acked leases flagged redelivered and wakes a parked receiver', async () => {
    const { broker } = setup()
    await broker.send('a', ['w'], 'crashed mid-turn')
    const firstLease = await broker.recv('w', 0)
    expect(firstLease?.redelivered).toBe(false)
    const parked = track(broker.recv('w', 60_000))
    await settle()
    expect(parked.settled).toBe(false)

    expect(await broker.requeue('w')).toBe(1)
    await settle()
    expect(parked.settled).toBe(true)
    expect(parked.value).toMatchObject({ id: firstLease?.id, body: 'crashed mid-turn', redelivered: true })
  })

  it('emits read when markRead marks something, and not otherwise', async () => {
    const { broker } = setup()
    const read = vi.fn<(recipient: string) => void>()
    broker.events.on('read', read)
    const [first] = await broker.send('w', ['operator'], 'done')
    await broker.send('w', ['operator'], 'also done')

    expect(await broker.markRead('operator', first?.id)).toBe(1)
    expect(read).toHaveBeenCalledTimes(1)
    expect(read).toHaveBeenLastCalledWith('operator')
    expect(await broker.markRead('operator', first?.id)).toBe(0)
    expect(read).toHaveBeenCalledTimes(1)
    expect(await broker.markRead('operator')).toBe(1)
    expect(read).toHaveBeenCalledTimes(2)
    expect(broker.unread('operator')).toBe(0)
  })

  it('emits sent for every inserted row and delivered with the leased row', async () => {
    const { broker, now } = setup()
    const sent = vi.fn<(row: StoredMessage) => void>()
    const delivered = vi.fn<(row: StoredMessage) => void>()
    broker.events.on('sent', sent)
    broker.events.on('delivered', delivered)

    const rows = await broker.send('manager', ['a', 'b'], 'hello all', true)
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

/** hive.db on disk, opened as the daemon opens it (no synchronous busy wait on either connection). */
async function onDisk(busyDeadlineMs?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'hive-broker-busy-'))
  const file = join(dir, 'hive.db')
  writeFileSync(file, migratedImage)
  const db = await openDatabase(file)
  onTestFinished(async () => {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const store = new MessageStore(db.sqlite)
  return { broker: new Broker(store, Date.now, busyDeadlineMs), store, file }
}

/** Another process's hold on the write lock (a sqlite3 shell, a backup), played by a second connection. */
function holdWriteLock(file: string): Database.Database {
  const other = new Database(file)
  onTestFinished(() => {
    other.close()
  })
  other.exec('BEGIN IMMEDIATE')
  return other
}

describe('Broker on a database another process holds', () => {
  // The waits are real: they are what is under test.
  beforeEach(() => vi.useRealTimers())

  it('waits it out in the event loop: send, recv and ack go through once the lock is released, in call order', async () => {
    const { broker, store, file } = await onDisk()
    const other = holdWriteLock(file)
    const receiving = broker.recv('w', 60_000)
    const sending = broker.send('a', ['w'], 'sent while locked')
    const received = track(receiving)
    const sent = track(sending)
    // This timer fires, and releases the lock, only because the waiting calls leave the event loop free.
    await sleep(300)
    expect([received.settled, sent.settled]).toEqual([false, false])
    expect(store.recentFor('w', 10)).toEqual([])
    other.exec('COMMIT')
    const [row] = await sending
    expect(await receiving).toMatchObject({ id: row?.id, body: 'sent while locked', deliveredAt: expect.any(Number) as number })

    other.exec('BEGIN IMMEDIATE')
    const acking = broker.ack('w')
    const first = broker.send('a', ['w'], 'first after the ack')
    const second = broker.send('a', ['w'], 'second after the ack')
    const acked = track(acking)
    await sleep(300)
    expect(acked.settled).toBe(false)
    other.exec('COMMIT')
    expect(await acking).toBe(1)
    expect(store.get(row?.id ?? -1)?.ackedAt).toEqual(expect.any(Number))
    const [[one], [two]] = await Promise.all([first, second])
    // Queued behind one another, not each on its own timer: the rows keep the order of the calls.
    expect((one?.id ?? 0) < (two?.id ?? 0)).toBe(true)
    expect(broker.unread('w')).toBe(2)
  })

  it('fails a write still refused at its bound with a TIMEOUT error and stores nothing', async () => {
    const { broker, store, file } = await onDisk(200)
    const other = holdWriteLock(file)
    const refused = { code: HiveErrorCode.Timeout, message: expect.stringMatching(/^the database stayed busy for \d+ ms .*; nothing was written$/) as string }
    const broadcast = broker.send('a', ['w', 'x'], 'never stored', true)
    const lease = broker.recv('w', 60_000)
    await expect(broadcast).rejects.toBeInstanceOf(HiveError)
    await expect(broadcast).rejects.toMatchObject(refused)
    await expect(lease).rejects.toMatchObject(refused)
    other.exec('ROLLBACK')
    expect(store.recent(10)).toEqual([])
    // Nothing is left waiting: the next write goes through at once.
    expect(await broker.send('a', ['w'], 'after the lock')).toMatchObject([{ recipient: 'w', body: 'after the lock' }])
  })
})
