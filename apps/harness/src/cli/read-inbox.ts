import { Limits, type adminOps, type InboxMessage, type OpOutput } from '@hive/mcp'
import { adminCall } from './admin-call.ts'

/** Messages `hive inbox` shows without `--limit` (the dashboard's inbox shows as many). */
const DEFAULT_LIMIT = 50

/**
 * The newest `limit` messages of the operator's inbox. The daemon answers a page at a time, each
 * bounded in bytes (forty 60 KiB messages do not fit one socket line), so this follows its cursor.
 */
export async function readInbox({ limit = DEFAULT_LIMIT, unread = false }: { limit?: number | undefined; unread?: boolean | undefined }): Promise<{ unread: number; messages: InboxMessage[] }> {
  const messages: InboxMessage[] = []
  let before: number | null = null
  let unreadCount = 0
  do {
    const page: OpOutput<typeof adminOps, 'inbox'> = await adminCall('inbox', { unread, limit: Math.min(limit - messages.length, Limits.MAX_LIST_LIMIT), ...(before === null ? {} : { before }) })
    unreadCount = page.unread
    messages.push(...page.messages)
    before = page.next_before
  } while (before !== null && messages.length < limit)
  return { unread: unreadCount, messages }
}
