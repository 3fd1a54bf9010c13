import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { TRPCRouterRecord } from '@trpc/server'
import { z } from 'zod'
import { agentNameSchema, OPERATOR } from '@hive/mcp'
import { toMessageView } from '../../daemon/message-view.ts'
import { operatorProcedure } from '../trpc.ts'

const byName = z.object({ name: agentNameSchema })
/** notes.md and agent.json are shown read-only; cap what one page load carries. */
const MAX_FILE_CHARS = 64 * 1024

async function readCapped(path: string): Promise<string | null> {
  try {
    const text = await readFile(path, 'utf8')
    return text.length > MAX_FILE_CHARS ? `${text.slice(0, MAX_FILE_CHARS)}\n… (truncated)` : text
  } catch {
    return null // not written yet
  }
}

export const agentsRouter = {
  list: operatorProcedure.input(z.object({ all: z.boolean().optional() }).optional()).query(({ ctx, input }) => ctx.hive.list(input?.all ?? false)),

  get: operatorProcedure.input(byName).query(async ({ ctx, input }) => {
    const view = await ctx.hive.view(input.name)
    const paths = ctx.hive.paths
    const [lastTurn, override, config, notes] = await Promise.all([
      ctx.hive.lastTurn(input.name),
      ctx.hive.modelOverride(input.name),
      readCapped(join(paths.appliedRepo(input.name), 'agent.json')),
      readCapped(join(paths.agentStateDir(input.name), 'notes.md')),
    ])
    const effective = view.state === 'destroyed' ? null : (await ctx.hive.turnConfig(input.name)).model
    return {
      agent: view,
      model: { override, effective },
      lastTurn: lastTurn && {
        startedAt: lastTurn.startedAt.getTime(),
        durationMs: lastTurn.durationMs,
        ok: lastTurn.ok,
        error: lastTurn.error,
        model: lastTurn.model,
        tokensIn: lastTurn.tokensIn,
        tokensOut: lastTurn.tokensOut,
        costUsd: lastTurn.costUsd,
      },
      inbox: ctx.broker.recentFor(input.name, 20).map(toMessageView),
      config,
      notes,
      seq: ctx.live.current,
    }
  }),

  stream: operatorProcedure
    .input(z.object({ name: agentNameSchema, limit: z.number().int().min(1).max(2000).default(300) }))
    .query(({ ctx, input }) => ctx.hive.streamEvents(input.name, input.limit)),

  logs: operatorProcedure
    .input(z.object({ name: agentNameSchema, lines: z.number().int().min(1).max(5000).default(200) }))
    .query(async ({ ctx, input }) => {
      await ctx.hive.view(input.name)
      return ctx.logTail(input.name, input.lines)
    }),

  spawn: operatorProcedure
    .input(z.object({ name: agentNameSchema, description: z.string().max(4096).optional() }))
    .mutation(({ ctx, input }) => ctx.hive.spawn(input.name, input.description, OPERATOR)),
  start: operatorProcedure.input(byName).mutation(({ ctx, input }) => ctx.hive.start(input.name, OPERATOR)),
  stop: operatorProcedure.input(byName).mutation(({ ctx, input }) => ctx.hive.kill(input.name, OPERATOR)),
  restart: operatorProcedure.input(byName).mutation(({ ctx, input }) => ctx.hive.restart(input.name, OPERATOR)),
  destroy: operatorProcedure
    .input(z.object({ name: agentNameSchema, purge: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => ctx.hive.destroy(input.name, input.purge, OPERATOR)),
  revive: operatorProcedure.input(byName).mutation(({ ctx, input }) => ctx.hive.revive(input.name, OPERATOR)),

  cancelTurn: operatorProcedure.input(byName).mutation(({ ctx, input }) => ctx.hive.sendControl(input.name, 'cancel')),
  compact: operatorProcedure.input(byName).mutation(({ ctx, input }) => ctx.hive.sendControl(input.name, 'compact')),
  newSession: operatorProcedure.input(byName).mutation(({ ctx, input }) => ctx.hive.sendControl(input.name, 'new_session')),
} satisfies TRPCRouterRecord
