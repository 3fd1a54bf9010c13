import { describe, expect, it, vi } from 'vitest'
import { LiveBus, type LiveEvent, type SequencedEvent } from './live-bus.ts'

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
})
