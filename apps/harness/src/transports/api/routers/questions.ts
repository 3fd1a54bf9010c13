import type { TRPCRouterRecord } from '@trpc/server'
import { adminMutation, adminQuery } from '../admin-procedure.ts'

/** ◆ M1ND H4S QU3STI0NS ◆: the manager's questions, answered inline. */
export const questionsRouter = {
  pending: adminQuery('questions'),
  history: adminQuery('question_history'),
  answer: adminMutation('answer'),
  cancel: adminMutation('cancel_question'),
} satisfies TRPCRouterRecord
