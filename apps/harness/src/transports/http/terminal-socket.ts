import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { agentNameSchema, isHiveError } from '@hive/mcp'
import { clientFrameSchema, TerminalClose, terminalQuerySchema, type ServerFrame, type TerminalKind } from '@hive/mcp/terminal-frames'
import type { PtyRegistry, TerminalSpec } from '../../adapters/pty/pty-registry.ts'
import type { PtySession, PtyViewer } from '../../adapters/pty/pty-session.ts'
import { closeReason } from './close-reason.ts'
import { decodePercentEncoding } from './request-target.ts'

export interface TerminalRoute {
  registry: PtyRegistry
  /** Throws a HiveError (unknown agent, not running…) when there is nothing to attach to. */
  spec: (agent: string, kind: TerminalKind) => Promise<TerminalSpec>
  log: Logger
}

/**
 * `GET /pty/<agent>?kind=shell|claude` websocket (already authenticated and Origin-checked by
 * the HTTP layer): binary frames carry output and input bytes, text frames carry JSON control
 * (`resize`, `ack`). It only frames and forwards; PtySession owns the terminal.
 */
export function createTerminalUpgrade(route: TerminalRoute): (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => boolean {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 })
  return (req, socket, head, url) => {
    const match = /^\/pty\/([^/]+)$/.exec(url.pathname)
    if (!match?.[1]) return false
    const agent = decodePercentEncoding(match[1])
    wss.handleUpgrade(req, socket, head, (ws) => {
      attach(ws, agent, url.searchParams, route).catch((err: unknown) => {
        route.log.error({ err, agent }, 'terminal socket failed')
        ws.terminate()
      })
    })
    return true
  }
}

/** `agent` is undefined when its percent-encoding was malformed. */
async function attach(ws: WebSocket, agent: string | undefined, params: URLSearchParams, route: TerminalRoute): Promise<void> {
  const sendFrame = (frame: ServerFrame) => ws.send(JSON.stringify(frame))
  const fail = (code: number, message: string) => {
    sendFrame({ type: 'error', message })
    ws.close(code, closeReason(message))
  }
  if (agent === undefined) return fail(TerminalClose.BAD_REQUEST, 'bad terminal request: the agent name is not valid percent-encoded UTF-8')
  const name = agentNameSchema.safeParse(agent)
  const query = terminalQuerySchema.safeParse(Object.fromEntries(params))
  if (!name.success) return fail(TerminalClose.UNKNOWN_AGENT, `unknown agent "${agent}": ${name.error.issues[0]?.message ?? 'invalid name'}`)
  if (!query.success) return fail(TerminalClose.BAD_REQUEST, `bad terminal request: ${query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  let session: PtySession
  try {
    const spec = await route.spec(name.data, query.data.kind)
    session = route.registry.open(name.data, query.data.kind, () => spec, { cols: query.data.cols, rows: query.data.rows })
  } catch (e) {
    if (isHiveError(e)) return fail(TerminalClose.UNKNOWN_AGENT, e.message)
    route.log.error({ err: e, agent }, 'could not open a terminal')
    return fail(TerminalClose.INTERNAL, 'could not open a terminal (see the daemon log)')
  }
  const viewer: PtyViewer = {
    sendOutput: (data) => ws.send(data, { binary: true }),
    sendControl: sendFrame,
    close: (code, reason) => ws.close(code, closeReason(reason)),
  }
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
    if (isBinary) {
      session.write(bytes)
      return
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(bytes.toString('utf8'))
    } catch {
      sendFrame({ type: 'error', message: 'control frame is not JSON' })
      return
    }
    const control = clientFrameSchema.safeParse(parsed)
    if (!control.success) {
      sendFrame({ type: 'error', message: `bad control frame: ${control.error.issues[0]?.message ?? ''}` })
      return
    }
    if (control.data.type === 'resize') session.resize(control.data.cols, control.data.rows)
    else session.ack(viewer, control.data.bytes)
  })
  ws.on('close', () => session.detach(viewer))
  ws.on('error', (err) => route.log.debug({ err, agent }, 'terminal socket error'))
  session.attach(viewer)
}
