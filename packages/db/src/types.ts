// Type-only surface for consumers that must not load the runtime (e.g. the web app).
export type { StoredMessage } from './message-store.ts'
export type { AgentRecord, RuntimeName } from './repositories/agents.ts'
export type { Agent, AgentEvent, AgentSetting, Turn } from './generated/prisma/client.ts'
