// Node-only server halves of the wire contracts (the daemon's side of the sockets).
export { JsonLinesServer } from './json-lines/json-lines-server.ts'
export type { CallContext, RequestHandler, ServerLog } from './json-lines/json-lines-server.ts'
