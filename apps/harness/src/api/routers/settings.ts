import type { TRPCRouterRecord } from '@trpc/server'
import { z } from 'zod'
import { OPERATOR, agentNameSchema } from '@hive/mcp'
import { operatorProcedure } from '../trpc.ts'

/** Per-agent operator overrides (they win over the agent's applied agent.json). */
export const settingsRouter = {
  model: operatorProcedure.input(z.object({ name: agentNameSchema })).query(async ({ ctx, input }) => ({
    override: await ctx.hive.modelOverride(input.name),
    effective: (await ctx.hive.turnConfig(input.name)).model,
  })),
  setModel: operatorProcedure
    .input(z.object({ name: agentNameSchema, model: z.string().min(1).max(128).nullable() }))
    .mutation(({ ctx, input }) => ctx.hive.setModel(input.name, input.model, OPERATOR)),
} satisfies TRPCRouterRecord
