import type { TRPCRouterRecord } from '@trpc/server'
import { adminMutation, adminQuery } from '../admin-procedure.ts'

export const agentsRouter = {
  list: adminQuery('list'),
  get: adminQuery('agent'),
  stream: adminQuery('stream'),
  logs: adminQuery('logs'),
  spawn: adminMutation('spawn'),
  start: adminMutation('start'),
  stop: adminMutation('kill'),
  restart: adminMutation('restart'),
  rebuild: adminMutation('rebuild'),
  destroy: adminMutation('destroy'),
  revive: adminMutation('revive'),
  cancelTurn: adminMutation('cancel_turn'),
  compact: adminMutation('compact'),
  newSession: adminMutation('new_session'),
} satisfies TRPCRouterRecord
