import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import type { OperatorAuth } from '../../services/operator-auth.ts'
import { isAllowedHost } from './host-check.ts'
import { BodyLimits, declaresTooLarge, hasBody, readBodyCapped } from './request-body.ts'
import { originFormUrl } from './request-target.ts'
import { isSameOrigin } from './same-origin.ts'
import { credentialsOf, sessionCookie } from './session-cookie.ts'

/** On every response: no page of ours may be framed (clickjacking), old browsers included. */
const SECURITY_HEADERS = {
  'content-security-policy': "frame-ancestors 'none'",
  'x-frame-options': 'DENY',
} as const

export interface HttpServerOptions {
  host: string
  port: number
  /** Hostnames a request's Host header may name (see host-check.ts); others get 421. */
  allowedHosts: ReadonlySet<string>
  auth: Pick<OperatorAuth, 'login' | 'authenticate'>
  log: Logger
  /** Authenticated routes beyond the built-ins; returns false when it did not handle the request. */
  routes?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> | boolean
  /** Authenticated, same-origin websocket upgrades; returns false when no route takes it. */
  upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => boolean
}

/**
 * One origin for everything: `/healthz` and `/login` are open, every other route needs the
 * session cookie or the bearer token. Before any of that, a request must name this daemon in
 * its Host header, its target must be a path (origin form), and its body may not pass
 * BodyLimits.MAX_BYTES.
 */
export class HttpServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly host: string,
  ) {}

  static async listen(opts: HttpServerOptions): Promise<HttpServer> {
    const server = createServer((req, res) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value)
      void handle(req, res, opts).catch((err: unknown) => {
        opts.log.error({ err, url: req.url }, 'http request failed')
        if (!res.headersSent) send(res, 500, 'internal error\n')
        else res.destroy()
      })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', (err) => opts.log.debug({ err, url: req.url }, 'upgrade socket error'))
      void handleUpgrade(req, socket, head, opts).catch((err: unknown) => {
        opts.log.error({ err, url: req.url }, 'websocket upgrade failed')
        refuseUpgrade(socket, '500 Internal Server Error')
      })
    })
    const { port } = server.address() as AddressInfo
    return new HttpServer(server, port, opts.host)
  }

  get origin(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host
    return `http://${host}:${this.port}`
  }

  get raw(): Server {
    return this.server
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

/** Websockets get the same gates as requests, plus Origin (browsers send it on upgrades). */
async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, opts: HttpServerOptions): Promise<void> {
  if (!isAllowedHost(req.headers.host, opts.allowedHosts)) return refuseUpgrade(socket, '421 Misdirected Request')
  const url = originFormUrl(req.url)
  if (!url) return refuseUpgrade(socket, '400 Bad Request')
  if (!(await opts.auth.authenticate(credentialsOf(req.headers)))) return refuseUpgrade(socket, '401 Unauthorized')
  if (!isSameOrigin(req)) return refuseUpgrade(socket, '403 Forbidden')
  if (!opts.upgrade?.(req, socket, head, url)) refuseUpgrade(socket, '404 Not Found')
}

function refuseUpgrade(socket: Duplex, status: string): void {
  const headers = Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`)
  socket.end(`HTTP/1.1 ${status}\r\n${headers.join('')}Connection: close\r\nContent-Length: 0\r\n\r\n`)
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: HttpServerOptions): Promise<void> {
  if (!isAllowedHost(req.headers.host, opts.allowedHosts)) {
    send(res, 421, 'misdirected request: the Host header does not name this daemon\n', { close: hasBody(req) })
    return
  }
  // Refused before anything else, unread: a declared length needs no counting.
  if (declaresTooLarge(req, BodyLimits.MAX_BYTES)) {
    send(res, 413, 'request body too large\n', { close: true })
    return
  }
  const url = originFormUrl(req.url)
  if (!url) {
    send(res, 400, 'bad request target: expected a path\n', { close: hasBody(req) })
    return
  }
  if (url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
    send(res, 200, '{"ok":true}\n', { type: 'application/json' })
    return
  }
  if (url.pathname === '/login' && req.method === 'GET') {
    const session = await opts.auth.login(url.searchParams.get('token') ?? '')
    if (session === undefined) {
      send(res, 401, 'invalid login token\n')
      return
    }
    res.writeHead(302, { location: '/', 'set-cookie': sessionCookie(session), 'cache-control': 'no-store' })
    res.end()
    return
  }
  if (!(await opts.auth.authenticate(credentialsOf(req.headers)))) {
    send(res, 401, 'unauthorized: log in with the URL `hive login-url` prints\n', { close: hasBody(req) })
    return
  }
  if (!isSameOrigin(req)) {
    send(res, 403, 'cross-origin request refused\n', { close: hasBody(req) })
    return
  }
  if (hasBody(req)) {
    const body = await readBodyCapped(req, BodyLimits.MAX_BYTES)
    if (body === undefined) {
      send(res, 413, 'request body too large\n', { close: true })
      return
    }
    // HACK: the stream is consumed now; tRPC's node adapter takes a pre-read string `req.body`
    // instead (@trpc/server src/adapters/node-http/incomingMessageToRequest.ts, createBody).
    Object.assign(req, { body: body.toString('utf8') })
  }
  if (opts.routes && (await opts.routes(req, res, url))) return
  send(res, 404, 'not found\n')
}

interface SendOptions {
  type?: string
  /**
   * The request's body is left unread: answer, stop reading and close the connection, since
   * keeping it alive would mean draining the body.
   */
  close?: boolean
}

function send(res: ServerResponse, status: number, body: string, { type = 'text/plain; charset=utf-8', close = false }: SendOptions = {}): void {
  const headers = { 'content-type': type, 'cache-control': 'no-store' }
  if (!close) {
    res.writeHead(status, headers)
    res.end(body)
    return
  }
  // Ending the response now would close the socket with unread bytes in it, and the reset
  // can reach a still-uploading client before our answer (it sees EPIPE, not the status). So
  // the answer goes out complete, nothing more is read, and the socket closes a moment later.
  res.writeHead(status, { ...headers, connection: 'close', 'content-length': Buffer.byteLength(body) })
  res.write(body)
  res.req.pause()
  const timer = setTimeout(() => res.destroy(), BodyLimits.UNREAD_CLOSE_DELAY_MS)
  res.once('close', () => clearTimeout(timer))
}
