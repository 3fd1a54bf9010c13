import { describe, expect, it, vi } from 'vitest'
import { LiveBus, type LiveEvent, type LiveItem, type SequencedEvent } from './live-bus.ts'

/** Replay.RING_SIZE in live-bus.ts, which the module does not export. */
const RING_SIZE = 2000

const turnEnded = (n: number): LiveEvent => ({ type: 'turn.ended', agent: `agent-${n}`, ok: true })

function publishMany(bus: LiveBus, count: number): void {
  for (let i = 1; i <= count; i++) bus.publish(turnEnded(i))
}

describe('LiveBus', () => {
  it('numbers events consecutively from 1', () => {
    const bus = new LiveBus()
    expect(bus.current).toBe(0)
    expect(bus.publish({ type: 'agents.changed' })).toBe(1)
    expect(bus.publish({ type: 'questions.changed' })).toBe(2)
    expect(bus.publish({ type: 'message.read', recipient: 'operator' })).toBe(3)
    expect(bus.current).toBe(3)
  })

  it('replays exactly the events after a sequence number', () => {
    const bus = new LiveBus()
    publishMany(bus, 5)
    expect(bus.since(2)).toEqual([
      { seq: 3, event: turnEnded(3) },
      { seq: 4, event: turnEnded(4) },
      { seq: 5, event: turnEnded(5) },
    ])
    expect(bus.since(0)?.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
  })

  it('replays nothing to a client that is up to date', () => {
    const empty = new LiveBus()
    expect(empty.since(0)).toEqual([])
    const bus = new LiveBus()
    publishMany(bus, 3)
    expect(bus.since(bus.current)).toEqual([])
  })

  it('sends a client from a previous daemon life (ahead of the bus) to a snapshot', () => {
    const bus = new LiveBus()
    publishMany(bus, 3)
    expect(bus.since(500)).toBeUndefined()
  })

  it('answers undefined once part of the gap fell out of the ring', () => {
    const bus = new LiveBus()
    publishMany(bus, RING_SIZE + 5) // events 1–5 are dropped, 6 onwards kept
    const kept = bus.since(5)
    expect(kept).toHaveLength(RING_SIZE)
    expect(kept?.[0]?.seq).toBe(6)
    expect(kept?.at(-1)?.seq).toBe(RING_SIZE + 5)
    expect(bus.since(4)).toBeUndefined()
    expect(bus.since(0)).toBeUndefined()
  })

  it('delivers to subscribers in order and stops after unsubscribe', () => {
    const bus = new LiveBus()
    const seen: SequencedEvent[] = []
    const other = vi.fn<(e: SequencedEvent) => void>()
    const unsubscribe = bus.subscribe((e) => seen.push(e))
    bus.subscribe(other)

    bus.publish({ type: 'agents.changed' })
    bus.publish({ type: 'turn.ended', agent: 'w', ok: false })
    unsubscribe()
    bus.publish({ type: 'approvals.changed' })

    expect(seen).toEqual([
      { seq: 1, event: { type: 'agents.changed' } },
      { seq: 2, event: { type: 'turn.ended', agent: 'w', ok: false } },
    ])
    expect(other.mock.calls.map(([e]) => e.seq)).toEqual([1, 2, 3])
  })

  it('bounds the replay ring by bytes too: large events push old ones out sooner', () => {
    const big = (n: number): LiveEvent => ({ type: 'question.asked', id: 100 + n, asker: 'manager', question: 'q'.repeat(1000) })
    const eventBytes = Buffer.byteLength(JSON.stringify(big(1)), 'utf8')
    const bus = new LiveBus({ ringBytes: eventBytes * 10 })
    for (let i = 1; i <= 15; i++) bus.publish(big(i))

    expect(bus.since(5)?.map((e) => e.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
    expect(bus.since(4)).toBeUndefined()
  })
})

describe('LiveBus.follow', () => {
  const next = async (follower: AsyncGenerator<LiveItem, void>): Promise<LiveItem | void> => (await follower.next()).value

  it('replays the backlog after `after`, then follows live events in order', async () => {
    const bus = new LiveBus()
    publishMany(bus, 3)
    const follower = bus.follow(1)
    expect(await next(follower)).toEqual({ seq: 2, event: turnEnded(2), resync: false })
    expect(await next(follower)).toEqual({ seq: 3, event: turnEnded(3), resync: false })
    const waiting = next(follower)
    bus.publish(turnEnded(4))
    expect(await waiting).toEqual({ seq: 4, event: turnEnded(4), resync: false })
  })

  it('sends a follower whose gap is no longer kept to a snapshot, then carries on', async () => {
    const bus = new LiveBus({ ringSize: 5 })
    publishMany(bus, 10)
    const follower = bus.follow(2)
    expect(await next(follower)).toEqual({ seq: 10, resync: true })
    bus.publish(turnEnded(11))
    expect(await next(follower)).toEqual({ seq: 11, event: turnEnded(11), resync: false })
  })

  it('keeps every event for a follower that lags within its byte bound', async () => {
    const bus = new LiveBus({ followerBytes: 100 * 1024 })
    const follower = bus.follow(0)
    const first = next(follower)
    publishMany(bus, 50)
    expect(await first).toMatchObject({ seq: 1, resync: false })
    const rest: LiveItem[] = []
    for (let i = 2; i <= 50; i++) rest.push((await next(follower)) as LiveItem)
    expect(rest.map((item) => (item.resync ? 'resync' : item.seq))).toEqual(Array.from({ length: 49 }, (_, i) => i + 2))
  })

  it('drops the backlog of a follower that stopped reading, and resyncs it at the current position', async () => {
    const bus = new LiveBus({ followerBytes: 2048 })
    const follower = bus.follow(0)
    const first = next(follower)
    bus.publish(turnEnded(1))
    expect(await first).toEqual({ seq: 1, event: turnEnded(1), resync: false })

    // The connection stalls: nothing is read while far more than 2 KiB is published.
    publishMany(bus, 200)
    expect(await next(follower)).toEqual({ seq: 201, resync: true })
    bus.publish({ type: 'agents.changed' })
    expect(await next(follower)).toEqual({ seq: 202, event: { type: 'agents.changed' }, resync: false })
  })

  it('ends when its signal aborts and stops listening', async () => {
    const bus = new LiveBus()
    let unsubscribed = false
    const subscribe = bus.subscribe.bind(bus)
    vi.spyOn(bus, 'subscribe').mockImplementation((listener) => {
      const off = subscribe(listener)
      return () => {
        unsubscribed = true
        off()
      }
    })
    const abort = new AbortController()
    const follower = bus.follow(0, abort.signal)
    const waiting = follower.next()
    abort.abort()
    expect(await waiting).toEqual({ value: undefined, done: true })
    expect(unsubscribed).toBe(true)
  })
})
