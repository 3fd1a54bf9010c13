import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { BrokerJanitor } from './broker-janitor.ts'

/** A table of `rows` expired ids handed out in batches, as MessageStore.vacuumBatch does. */
function expiredRows(rows: number) {
  const calls: { cutoff: number; afterId: number; limit: number }[] = []
  let left = rows
  let nextId = 1
  return {
    calls,
    vacuumBatch(cutoff: number, afterId: number, limit: number) {
      calls.push({ cutoff, afterId, limit })
      const deleted = Math.min(left, limit)
      left -= deleted
      nextId += deleted
      return { deleted, lastId: deleted ? nextId - 1 : afterId }
    },
  }
}

describe('BrokerJanitor', () => {
  it('sweeps in batches with a moving cursor, cutoff = now − retention', async () => {
    const store = expiredRows(5)
    const janitor = new BrokerJanitor(store, { retentionMs: 1000, intervalMs: 60_000, batch: 2 }, pino({ level: 'silent' }), () => 10_000)
    expect(await janitor.pass()).toBe(5)
    expect(store.calls).toEqual([
      { cutoff: 9000, afterId: 0, limit: 2 },
      { cutoff: 9000, afterId: 2, limit: 2 },
      { cutoff: 9000, afterId: 4, limit: 2 },
      { cutoff: 9000, afterId: 5, limit: 2 },
    ])
    expect(await janitor.pass()).toBe(0)
  })

  it('runs one pass at a time and survives a failing store', async () => {
    const store = expiredRows(4)
    const janitor = new BrokerJanitor(store, { retentionMs: 0, intervalMs: 60_000, batch: 1 }, pino({ level: 'silent' }))
    const [a, b] = await Promise.all([janitor.pass(), janitor.pass()])
    expect([a, b]).toEqual([4, 0])
    const broken = new BrokerJanitor(
      {
        vacuumBatch: () => {
          throw new Error('database is locked')
        },
      },
      { retentionMs: 0, intervalMs: 60_000, batch: 1 },
      pino({ level: 'silent' }),
    )
    expect(await broken.pass()).toBe(0)
  })
})
