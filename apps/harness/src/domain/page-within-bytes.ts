/**
 * The leading items whose JSON fits `maxBytes` (UTF-8) together, and always the first one, so a
 * paged listing moves forward even past an item bigger than a page.
 */
export function pageWithinBytes<T>(items: readonly T[], maxBytes: number): T[] {
  const page: T[] = []
  let bytes = 0
  for (const item of items) {
    bytes += Buffer.byteLength(JSON.stringify(item) ?? 'null', 'utf8')
    if (page.length > 0 && bytes > maxBytes) break
    page.push(item)
  }
  return page
}

/**
 * One page of a newest-first listing fetched as `limit + 1` rows (the extra row tells whether an
 * older page exists): at most `limit` rows and about `maxBytes` of them, and the `before` cursor
 * of the next page, null at the end.
 */
export function pageBefore<T extends { id: number }>(fetched: readonly T[], limit: number, maxBytes: number): { items: T[]; nextBefore: number | null } {
  const items = pageWithinBytes(fetched.slice(0, limit), maxBytes)
  const last = items.at(-1)
  return { items, nextBefore: last && items.length < fetched.length ? last.id : null }
}
