import { describe, expect, it } from 'vitest'
import { followPages } from './paged-listings.ts'

describe('followPages', () => {
  /** A listing of ids 1..n, newest first, answering at most `pageSize` per page whatever the limit asked. */
  const listing = (n: number, pageSize: number) => {
    const asked: { limit: number; before: number | undefined }[] = []
    const page = (limit: number, before: number | undefined) => {
      asked.push({ limit, before })
      const rest = Array.from({ length: n }, (_, i) => n - i).filter((id) => id < (before ?? Infinity))
      const items = rest.slice(0, Math.min(limit, pageSize))
      return Promise.resolve({ items, next_before: items.length < rest.length ? (items.at(-1) ?? null) : null })
    }
    return { asked, page }
  }

  it('follows the cursor across byte-cut pages up to the limit and says more exist', async () => {
    const { asked, page } = listing(10, 3)
    expect(await followPages(7, page)).toEqual({ items: [10, 9, 8, 7, 6, 5, 4], more: true })
    expect(asked).toEqual([
      { limit: 7, before: undefined },
      { limit: 4, before: 8 },
      { limit: 1, before: 5 },
    ])
  })

  it('stops at the end of the listing', async () => {
    expect(await followPages(50, listing(4, 3).page)).toEqual({ items: [4, 3, 2, 1], more: false })
    expect(await followPages(50, listing(0, 3).page)).toEqual({ items: [], more: false })
  })
})
