import type { TRPCRouterRecord } from '@trpc/server'
import { adminMutation, adminQuery } from '../admin-procedure.ts'

/** P3NDING APPR0VALS: the operator decides on spawns and config commits. */
export const approvalsRouter = {
  pending: adminQuery('pending'),
  history: adminQuery('approval_history'),
  /** The dashboard's spawn request form: queued like the manager's, decided like any other. */
  requestSpawn: adminMutation('request_spawn'),
  approve: adminMutation('approve'),
  deny: adminMutation('deny'),
} satisfies TRPCRouterRecord
