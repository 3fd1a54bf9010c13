import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { tokenMatches } from '../../adapters/operator-token.ts'
import { isSameOrigin } from './same-origin.ts'
import { SESSION_COOKIE, isAuthenticated, sessionValue } from './session-cookie.ts'

export interface HttpServerOptions {
  host: string
  port: number
  operatorToken: string
  log: Logger
  /** Authenticated routes beyond the built-ins; returns false when it did not handle the request. */
  routes?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean
  /** Authenticated, same-origin websocket upgrades; returns false when no route takes it. */
  upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean
}

/**
 * One origin for everything: `/healthz` and `/login` are open, every other route needs the
 * session cookie or the bearer token.
 */
export class HttpServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly host: string,
  ) {}

  static async listen(opts: HttpServerOptions): Promise<HttpServer> {
    const server = createServer((req, res) => {
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
      // Websockets get the same gate as requests, plus Origin (browsers send it on upgrades).
      const refuse = (status: string) => {
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      }
      if (!isAuthenticated(req.headers, opts.operatorToken)) return refuse('401 Unauthorized')
      if (!isSameOrigin(req)) return refuse('403 Forbidden')
      if (!opts.upgrade?.(req, socket, head)) refuse('404 Not Found')
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

async function handle(req: IncomingMessage, res: ServerResponse, opts: HttpServerOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local')
  if (url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
    send(res, 200, '{"ok":true}\n', 'application/json')
    return
  }
  if (url.pathname === '/login' && req.method === 'GET') {
    const token = url.searchParams.get('token') ?? ''
    if (!tokenMatches(token, opts.operatorToken)) {
      send(res, 401, 'invalid login token\n')
      return
    }
    res.writeHead(302, {
      location: '/',
      'set-cookie': `${SESSION_COOKIE}=${sessionValue(opts.operatorToken)}; HttpOnly; SameSite=Strict; Path=/`,
      'cache-control': 'no-store',
    })
    res.end()
    return
  }
  if (!isAuthenticated(req.headers, opts.operatorToken)) {
    send(res, 401, 'unauthorized: log in with the URL `hive login-url` prints\n')
    return
  }
  if (!isSameOrigin(req)) {
    send(res, 403, 'cross-origin request refused\n')
    return
  }
  if (opts.routes && (await opts.routes(req, res))) return
  send(res, 404, 'not found\n')
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' })
  res.end(body)
}
