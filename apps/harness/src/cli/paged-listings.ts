import { Limits, type InboxMessage } from '@hive/mcp'
import { adminCall } from './admin-call.ts'

/** Items `hive inbox` and `hive dead-letters` show without `--limit` (the dashboard shows as many). */
export const DEFAULT_LIMIT = 50

interface Page<T> {
  items: T[]
  next_before: number | null
}

/**
 * The newest `limit` items of a listing the daemon answers a page at a time, each page bounded in
 * bytes (forty 60 KiB messages do not fit one socket line): this follows its cursor. `more` says
 * that older items were left out.
 */
export async function followPages<T>(limit: number, page: (limit: number, before: number | undefined) => Promise<Page<T>>): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = []
  let before: number | null = null
  do {
    const next: Page<T> = await page(Math.min(limit - items.length, Limits.MAX_LIST_LIMIT), before ?? undefined)
    items.push(...next.items)
    before = next.next_before
  } while (before !== null && items.length < limit)
  return { items, more: before !== null }
}

/** The newest `limit` messages of the operator's inbox, and how many are unread. */
export async function readInbox({ limit = DEFAULT_LIMIT, unread = false }: { limit?: number | undefined; unread?: boolean | undefined }): Promise<{ unread: number; messages: InboxMessage[] }> {
  let unreadCount = 0
  const { items } = await followPages(limit, async (pageLimit, before) => {
    const page = await adminCall('inbox', { unread, limit: pageLimit, ...(before === undefined ? {} : { before }) })
    unreadCount = page.unread
    return { items: page.messages, next_before: page.next_before }
  })
  return { unread: unreadCount, messages: items }
}
