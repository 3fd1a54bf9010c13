import type { StoredMessage } from '@hive/db'
import { Limits } from '@hive/mcp'
import { describe, expect, it } from 'vitest'
import { DeadLetters } from './dead-letters.ts'

/** Dead letters newest first, as MessageStore.deadLetters answers: `count` of them, bodies of `bodyBytes`. */
function storeOf(count: number, bodyBytes: number) {
  const rows: StoredMessage[] = Array.from({ length: count }, (_, i) => ({
    id: count - i,
    sender: 'operator',
    recipient: 'worker',
    body: 'x'.repeat(bodyBytes),
    sentAt: 1,
    deliveredAt: 2,
    ackedAt: null,
    redelivered: true,
    broadcast: false,
    attempts: 3,
    deadLetteredAt: 3,
    lastError: 'claude exited 1: the model said no',
  }))
  const broker = {
    deadLetters: (limit: number, before = Number.MAX_SAFE_INTEGER) => rows.filter((r) => r.id < before).slice(0, limit),
    reviveDeadLetter: () => Promise.resolve(undefined),
    discardDeadLetter: () => Promise.resolve(undefined),
  }
  return new DeadLetters({ broker, live: { publish: () => 0 } })
}

describe('DeadLetters.list', () => {
  it('pages by bytes so a page of large dead letters fits one socket line, and the cursor reaches them all', () => {
    const letters = storeOf(100, Limits.MAX_BODY_BYTES) // 100 × 64 KiB: 6.4 MiB in all
    const seen: number[] = []
    let before: number | undefined
    for (;;) {
      const page = letters.list(Limits.MAX_LIST_LIMIT, before)
      expect(Buffer.byteLength(JSON.stringify(page.items))).toBeLessThanOrEqual(Limits.MAX_PAGE_BYTES + Limits.MAX_BODY_BYTES)
      expect(page.items.length).toBeGreaterThan(0)
      seen.push(...page.items.map((m) => m.id))
      if (page.nextBefore === null) break
      before = page.nextBefore
    }
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => 100 - i))
  })

  it('stops at the limit and says an older page exists', () => {
    const page = storeOf(5, 10).list(2)
    expect(page.items.map((m) => m.id)).toEqual([5, 4])
    expect(page.nextBefore).toBe(4)
    expect(storeOf(2, 10).list(2).nextBefore).toBeNull()
  })
})
