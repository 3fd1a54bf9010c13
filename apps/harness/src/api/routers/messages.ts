import type { TRPCRouterRecord } from '@trpc/server'
import { z } from 'zod'
import { HiveError, HiveErrorCode, Limits, OPERATOR, messageBodySchema, recipientSchema } from '@hive/mcp'
import { toMessageView } from '../../daemon/message-view.ts'
import { operatorProcedure } from '../trpc.ts'

export const messagesRouter = {
  /** MESS4GE FL0W: the newest messages of the whole hive. */
  recent: operatorProcedure
    .input(z.object({ limit: z.number().int().min(1).max(Limits.MAX_LIST_LIMIT).default(200) }).optional())
    .query(({ ctx, input }) => ctx.broker.recent(input?.limit ?? 200).map(toMessageView)),

  /** 0PER4T0R 1NB0X: the last messages to `operator`, with the unread count. */
  inbox: operatorProcedure
    .input(z.object({ limit: z.number().int().min(1).max(Limits.MAX_LIST_LIMIT).default(50) }).optional())
    .query(({ ctx, input }) => ({
      unread: ctx.broker.unread(OPERATOR),
      messages: ctx.broker.recentFor(OPERATOR, input?.limit ?? 50).map(toMessageView),
    })),

  send: operatorProcedure.input(z.object({ to: recipientSchema, body: messageBodySchema })).mutation(async ({ ctx, input }) => {
    if (input.to === OPERATOR) throw new HiveError(HiveErrorCode.BadRequest, 'to: the operator cannot message itself')
    const rows = await ctx.hive.send(OPERATOR, input.to, input.body)
    return { ids: rows.map((r) => r.id) }
  }),

  markRead: operatorProcedure
    .input(z.object({ id: z.number().int().positive().optional() }))
    .mutation(({ ctx, input }) => ({ marked: ctx.broker.markRead(OPERATOR, input.id) })),
} satisfies TRPCRouterRecord
