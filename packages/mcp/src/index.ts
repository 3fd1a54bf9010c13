// No MCP SDK here (its server is `@hive/mcp/stdio`): the daemon, the CLI and the turn loop load this.
export { mcpToolNames, MCP_HOST_SOCKET_NAME, MCP_SERVER_NAME } from './protocol/tool-names.ts'
export { JsonLinesClient } from './json-lines/json-lines-client.ts'
export { HiveError, HiveErrorCode, isHiveError } from './protocol/hive-error.ts'
export { Limits } from './protocol/limits.ts'
export { BROADCAST, MANAGER_NAME, OPERATOR, SYSTEM, agentNameSchema, messageBodySchema, modelNameSchema, recipientSchema } from './protocol/names.ts'
export { parseInput } from './protocol/parse-input.ts'
export type { OpInput, OpOutput, OpSpec, OpTable } from './protocol/op-spec.ts'
export { adminOps } from './protocol/admin-ops.ts'
export type { AdminOp } from './protocol/admin-ops.ts'
export { agentOps, controlCommandSchema, managerOps, managerSurface } from './protocol/agent-ops.ts'
export type { AgentOp, AskOperatorArgs, ControlCommand, ControlMessage, ManagerOp, TurnFailure } from './protocol/agent-ops.ts'
export {
  PTY_RELAY_SOCKET_NAME,
  PtyRelayLimits,
  agentRelayFrameSchema,
  daemonRelayFrameSchema,
} from './protocol/pty-relay-frames.ts'
export type { AgentRelayFrame, DaemonRelayFrame, TerminalRequest } from './protocol/pty-relay-frames.ts'
export { HELPER_EVENT_NAMES, helperEventSchema } from './protocol/helper-events.ts'
export type { HelperEvent } from './protocol/helper-events.ts'
export { roleSchema, turnConfigSchema } from './protocol/views.ts'
export type {
  Activity,
  AgentDetail,
  AgentView,
  ApprovalView,
  DeadLetterView,
  DeliveredMessage,
  InboxMessage,
  MessageView,
  QuestionView,
  StreamEventView,
  TurnConfig,
  TurnView,
} from './protocol/views.ts'
