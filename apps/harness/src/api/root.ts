import { agentsRouter } from './routers/agents.ts'
import { liveRouter } from './routers/live.ts'
import { messagesRouter } from './routers/messages.ts'
import { questionsRouter } from './routers/questions.ts'
import { router } from './trpc.ts'

export const appRouter = router({
  agents: agentsRouter,
  messages: messagesRouter,
  live: liveRouter,
  questions: questionsRouter,
})

export type AppRouter = typeof appRouter
export type { LiveEvent, MessageView, StreamEventView } from '../daemon/live-bus.ts'
export type { QuestionView } from '../daemon/question-desk.ts'
