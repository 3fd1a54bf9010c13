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
