import { describe, expect, it } from 'vitest'
import { pageBefore, pageWithinBytes } from './page-within-bytes.ts'

const item = (id: number, body: string) => ({ id, body })
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8')

describe('pageWithinBytes', () => {
  it('takes items in order while their JSON fits, measured in UTF-8 bytes', () => {
    const items = [1, 2, 3, 4].map((id) => item(id, '字'.repeat(100))) // 300 bytes of body each
    const two = bytes(items[0]) + bytes(items[1])
    expect(pageWithinBytes(items, two).map((i) => i.id)).toEqual([1, 2])
    expect(pageWithinBytes(items, two - 1).map((i) => i.id)).toEqual([1])
    expect(pageWithinBytes(items, 1_000_000)).toEqual(items)
  })

  it('always takes the first item, however large, and nothing from an empty list', () => {
    const huge = [item(1, 'x'.repeat(5000)), item(2, 'y')]
    expect(pageWithinBytes(huge, 100)).toEqual([huge[0]])
    expect(pageWithinBytes([], 100)).toEqual([])
  })
})

describe('pageBefore', () => {
  const rows = (n: number, body = 'b') => Array.from({ length: n }, (_, i) => item(n - i, body)) // newest first

  it('gives the next page a cursor when the extra row or the byte bound left rows out, none at the end', () => {
    expect(pageBefore(rows(3), 5, 1_000_000)).toEqual({ items: rows(3), nextBefore: null })
    // limit + 1 fetched: one more exists.
    expect(pageBefore(rows(6), 5, 1_000_000)).toEqual({ items: rows(6).slice(0, 5), nextBefore: 2 })
    // Bytes cut the page before the limit.
    const big = rows(4, 'x'.repeat(1000))
    const page = pageBefore(big, 10, 2500)
    expect(page.items.map((i) => i.id)).toEqual([4, 3])
    expect(page.nextBefore).toBe(3)
    expect(pageBefore([], 5, 100)).toEqual({ items: [], nextBefore: null })
  })
})
