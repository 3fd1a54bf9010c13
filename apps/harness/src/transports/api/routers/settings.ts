import type { TRPCRouterRecord } from '@trpc/server'
import { adminMutation, adminQuery } from '../admin-procedure.ts'

/** Per-agent operator overrides (they win over the agent's applied agent.json). */
export const settingsRouter = {
  model: adminQuery('model_info'),
  setModel: adminMutation('model'),
} satisfies TRPCRouterRecord
