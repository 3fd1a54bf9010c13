import type { TRPCRouterRecord } from '@trpc/server'
import { adminMutation, adminQuery } from '../admin-procedure.ts'

export const messagesRouter = {
  /** MESS4GE FL0W: the newest messages of the whole hive. */
  recent: adminQuery('recent_messages'),
  /** 0PER4T0R 1NB0X: the last messages to `operator`, with the unread count. */
  inbox: adminQuery('inbox'),
  send: adminMutation('send'),
  markRead: adminMutation('mark_read'),
} satisfies TRPCRouterRecord
