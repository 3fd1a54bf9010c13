export { createServer, mcpToolNames, MCP_SERVER_NAME } from './server.ts'
export type { ServerDeps } from './server.ts'
export { JsonLinesClient } from './json-lines/json-lines-client.ts'
export { LineSplitter } from './json-lines/line-splitter.ts'
export { HiveError, HiveErrorCode, isHiveError } from './protocol/hive-error.ts'
export { Limits } from './protocol/limits.ts'
export {
  AGENT_NAME_PATTERN,
  BROADCAST,
  MANAGER_NAME,
  OPERATOR,
  RESERVED_NAMES,
  SYSTEM,
  agentNameSchema,
  messageBodySchema,
  recipientSchema,
} from './protocol/names.ts'
export {
  describeZodError,
  requestEnvelopeSchema,
  responseEnvelopeSchema,
} from './protocol/envelope.ts'
export type { ErrorBody, RequestEnvelope, ResponseEnvelope } from './protocol/envelope.ts'
export {
  agentOps,
  controlResultSchema,
  managerOps,
  deliveredMessageSchema,
  recvResultSchema,
  turnConfigSchema,
  whoamiResultSchema,
} from './protocol/agent-ops.ts'
export type {
  AgentOp,
  AgentOpArgs,
  ControlResult,
  DeliveredMessage,
  ManagerOp,
  ManagerOpArgs,
  RecvResult,
  TurnConfig,
  WhoamiResult,
} from './protocol/agent-ops.ts'
