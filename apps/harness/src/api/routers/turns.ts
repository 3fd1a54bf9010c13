import type { TRPCRouterRecord } from '@trpc/server'
import { z } from 'zod'
import { agentNameSchema } from '@hive/mcp'
import { operatorProcedure } from '../trpc.ts'

export const turnsRouter = {
  /** An agent's recent turns, newest first: timing, model, tokens, cost, failure. */
  recent: operatorProcedure
    .input(z.object({ name: agentNameSchema, limit: z.number().int().min(1).max(200).default(20) }))
    .query(async ({ ctx, input }) =>
      (await ctx.hive.recentTurns(input.name, input.limit)).map((t) => ({
        id: t.id,
        startedAt: t.startedAt.getTime(),
        durationMs: t.durationMs,
        model: t.model,
        wakeFrom: t.wakeFrom,
        ok: t.ok,
        error: t.error,
        tokensIn: t.tokensIn,
        tokensOut: t.tokensOut,
        costUsd: t.costUsd,
      })),
    ),
} satisfies TRPCRouterRecord
