import type { TRPCRouterRecord } from '@trpc/server'
import { adminMutation, adminQuery } from '../admin-procedure.ts'

export const messagesRouter = {
  /** MESS4GE FL0W: the newest messages of the whole hive. */
  recent: adminQuery('recent_messages'),
  /** 0PER4T0R 1NB0X: the last messages to `operator`, with the unread count. */
  inbox: adminQuery('inbox'),
  send: adminMutation('send'),
  markRead: adminMutation('mark_read'),
  /** D34D L3TT3RS: messages that failed too often, with retry and discard. */
  deadLetters: adminQuery('dead_letters'),
  retryDeadLetter: adminMutation('retry_dead_letter'),
  discardDeadLetter: adminMutation('discard_dead_letter'),
} satisfies TRPCRouterRecord
