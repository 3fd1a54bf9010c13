import type { TRPCRouterRecord } from '@trpc/server'
import { z } from 'zod'
import { Limits } from '@hive/mcp'
import { operatorProcedure } from '../trpc.ts'

const id = z.number().int().positive()

export const questionsRouter = {
  pending: operatorProcedure.query(({ ctx }) => ctx.hive.questions.pending()),
  history: operatorProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).default(30) }).optional())
    .query(({ ctx, input }) => ctx.hive.questions.history(input?.limit ?? 30)),
  answer: operatorProcedure
    .input(
      z.object({
        id,
        options: z.array(z.string().min(1).max(Limits.MAX_OPTION_CHARS)).max(Limits.MAX_QUESTION_OPTIONS).default([]),
        text: z.string().max(Limits.MAX_QUESTION_CHARS).default(''),
      }),
    )
    .mutation(({ ctx, input }) => ctx.hive.questions.answer(input.id, { options: input.options, text: input.text })),
  cancel: operatorProcedure.input(z.object({ id })).mutation(({ ctx, input }) => ctx.hive.questions.cancel(input.id)),
} satisfies TRPCRouterRecord
