import type { TRPCRouterRecord } from '@trpc/server'
import { z } from 'zod'
import { OPERATOR, agentNameSchema } from '@hive/mcp'
import { operatorProcedure } from '../trpc.ts'

const id = z.number().int().positive()

/** P3NDING APPR0VALS: the operator decides on spawns and config commits. */
export const approvalsRouter = {
  pending: operatorProcedure.query(({ ctx }) => ctx.hive.approvals.pending()),
  history: operatorProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).default(30) }).optional())
    .query(({ ctx, input }) => ctx.hive.approvals.history(input?.limit ?? 30)),
  /** The dashboard's spawn request form: queued like the manager's, decided like any other. */
  requestSpawn: operatorProcedure
    .input(z.object({ name: agentNameSchema, description: z.string().max(4096).optional() }))
    .mutation(({ ctx, input }) => ctx.hive.approvals.requestSpawn(input.name, input.description?.trim() || undefined, OPERATOR)),
  approve: operatorProcedure.input(z.object({ id })).mutation(({ ctx, input }) => ctx.hive.approvals.approve(input.id, OPERATOR)),
  deny: operatorProcedure
    .input(z.object({ id, note: z.string().max(4096).optional() }))
    .mutation(({ ctx, input }) => ctx.hive.approvals.deny(input.id, input.note, OPERATOR)),
} satisfies TRPCRouterRecord
