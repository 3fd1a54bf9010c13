import type { TRPCRouterRecord } from '@trpc/server'
import { adminQuery } from '../admin-procedure.ts'

export const turnsRouter = {
  /** An agent's recent turns, newest first: timing, model, tokens, cost, failure. */
  recent: adminQuery('turns'),
} satisfies TRPCRouterRecord
