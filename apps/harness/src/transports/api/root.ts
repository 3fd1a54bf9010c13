import { agentsRouter } from './routers/agents.ts'
import { approvalsRouter } from './routers/approvals.ts'
import { liveRouter } from './routers/live.ts'
import { messagesRouter } from './routers/messages.ts'
import { questionsRouter } from './routers/questions.ts'
import { settingsRouter } from './routers/settings.ts'
import { turnsRouter } from './routers/turns.ts'
import { router } from './trpc.ts'

export const appRouter = router({
  agents: agentsRouter,
  approvals: approvalsRouter,
  messages: messagesRouter,
  live: liveRouter,
  questions: questionsRouter,
  settings: settingsRouter,
  turns: turnsRouter,
})

export type AppRouter = typeof appRouter
export type { LiveEvent } from '../../services/live-bus.ts'
export type { AgentDetail, AgentView, ApprovalView, DeadLetterView, InboxMessage, MessageView, QuestionView, StreamEventView, TurnView } from '@hive/mcp'
