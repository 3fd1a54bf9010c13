// Node-only server halves of the wire contracts (the daemon's side of the sockets), and the pty
// relay connection both ends of an nspawn terminal use.
export { JsonLinesServer } from './json-lines/json-lines-server.ts'
export type { CallContext, RequestHandler, ServerLog } from './json-lines/json-lines-server.ts'
export { RelayChannel } from './pty-relay/relay-channel.ts'
