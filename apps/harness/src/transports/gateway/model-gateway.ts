import { rm } from 'node:fs/promises'
import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import type { NewModelRequest } from '@hive/db'
import type { OperatorCredentials } from '../../adapters/env.ts'
import { UsageTap } from '../../domain/messages-usage.ts'
import { parseRetryAfter, RETRY_AFTER_STATUSES } from '../../domain/retry-after.ts'
import { decideEgress, parseTarget, refuse, tunnel, type EgressPolicy } from './egress-proxy.ts'
import { upstreamRequestHeaders, withoutHopByHop } from './upstream-headers.ts'

const Relay = {
  /** How much of a request body is scanned for its `"model"` (it comes first in the CLI's JSON). */
  MODEL_SCAN_BYTES: 64 * 1024,
  /** An upstream silent for this long is given up on (a streaming turn sends pings far more often). */
  UPSTREAM_IDLE_MS: 10 * 60_000,
  /** Connections one agent may hold open on its gateway socket (the CLI uses a handful). */
  MAX_CONNECTIONS_PER_AGENT: 64,
  /** Upstream sockets shared by all agents' model requests. */
  MAX_UPSTREAM_SOCKETS: 64,
  /** Egress refusals reported (events) per agent per minute; the rest are only counted. */
  REFUSALS_PER_MINUTE: 20,
} as const

/**
 * The endpoints the claude CLI needs, the only ones that carry the operator's credentials (by
 * method and exact path, after dot segments are resolved): not files, batches or admin APIs.
 */
const API_ENDPOINTS: readonly [string, RegExp][] = [
  ['POST', /^\/v1\/messages$/],
  ['POST', /^\/v1\/messages\/count_tokens$/],
  ['GET', /^\/v1\/models(\/[A-Za-z0-9._-]+)?$/],
]

/** A status line an HTTP server can repeat (llhttp accepts 000–099, `writeHead` throws on them). */
const relayableStatus = (status: number | undefined) => (status !== undefined && status >= 100 && status <= 999 ? status : 502)

export interface ModelGatewayDeps {
  /** The daemon's `ANTHROPIC_BASE_URL`: where requests go. */
  upstream: URL
  credentials: OperatorCredentials
  egress: EgressPolicy
  /** One finished model request (the source of truth for spend). */
  record(request: NewModelRequest): void
  /** An egress attempt that was refused: shown in the agent's live stream. */
  refused(agent: string, target: string, reason: string): void
  /** The upstream said how long the model is unavailable (429/503/529 with `retry-after`). */
  retryAfter?(agent: string, ms: number): void
  log: Logger
}

/**
 * The model gateway: one HTTP server per agent on a unix socket beside its MCP socket (identity =
 * socket). It relays the Messages API to the upstream with the operator's credentials added on
 * this side — no operator secret enters a container — streaming SSE through as it arrives, and
 * records every request's model, status, tokens and duration. The same socket is the agent's
 * HTTP(S) proxy: CONNECT (and plain absolute-form requests) to its allow-listed `egress`.
 */
export class ModelGateway {
  private readonly servers = new Map<string, Server>()
  private readonly refusals = new Map<string, { since: number; count: number }>()
  private readonly upstreamAgent: HttpAgent

  constructor(private readonly deps: ModelGatewayDeps) {
    const pool = { keepAlive: true, maxSockets: Relay.MAX_UPSTREAM_SOCKETS }
    this.upstreamAgent = deps.upstream.protocol === 'https:' ? new HttpsAgent(pool) : new HttpAgent(pool)
  }

  async open(agent: string, socketPath: string): Promise<void> {
    if (this.servers.has(agent)) return
    // A socket file left by a crashed daemon would make listen() fail with EADDRINUSE.
    await rm(socketPath, { force: true })
    const server = createServer((req, res) => this.relay(agent, req, res))
    server.maxConnections = Relay.MAX_CONNECTIONS_PER_AGENT
    server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.connect(agent, req, socket, head).catch((err: unknown) => {
        this.deps.log.error({ err, agent }, 'egress CONNECT failed')
        socket.destroy()
      })
    })
    server.on('clientError', (_e, socket) => socket.destroy())
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(socketPath, () => {
        server.off('error', reject)
        resolve()
      })
    })
    server.on('error', (err) => this.deps.log.error({ err, agent }, 'gateway socket error'))
    this.servers.set(agent, server)
  }

  async close(agent: string): Promise<void> {
    const server = this.servers.get(agent)
    if (!server) return
    this.servers.delete(agent)
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((agent) => this.close(agent)))
    this.upstreamAgent.destroy()
  }

  /** Reports a refusal to the live stream, at most REFUSALS_PER_MINUTE per agent (a loop must not flood it). */
  private refused(agent: string, target: string, reason: string): void {
    const now = Date.now()
    const window = this.refusals.get(agent)
    if (!window || now - window.since > 60_000) {
      this.refusals.set(agent, { since: now, count: 1 })
    } else if (++window.count > Relay.REFUSALS_PER_MINUTE) {
      if (window.count === Relay.REFUSALS_PER_MINUTE + 1) this.deps.log.warn({ agent }, 'egress refusals over the per-minute limit: not reporting more this minute')
      return
    }
    this.deps.refused(agent, target, reason)
  }

  private relay(agent: string, req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/'
    if (/^https?:\/\//i.test(url)) return this.forward(agent, req, res, url)
    const { upstream, credentials, log } = this.deps
    const base = upstream.pathname.replace(/\/$/, '')
    let target: URL | undefined
    try {
      target = new URL(base + (url.startsWith('/') ? url : `/${url}`), upstream)
    } catch {
      target = undefined
    }
    // Judged on the resolved URL: `/v1/../admin` must not carry the key anywhere else.
    const path = target?.origin === upstream.origin && target.pathname.startsWith(`${base}/`) ? target.pathname.slice(base.length) : undefined
    if (!target || !path || !API_ENDPOINTS.some(([method, pattern]) => method === req.method && pattern.test(path))) {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `hive gateway relays the Messages API only, not ${req.method ?? '?'} ${url.slice(0, 100)}` } }))
      return
    }
    const started = Date.now()
    let model: string | undefined
    const scanned: Buffer[] = []
    let scannedBytes = 0
    let done = false
    const finish = (status: number, usage: ReturnType<UsageTap['result']> | undefined, error: string | null) => {
      if (done) return
      done = true
      this.deps.record({
        agent,
        ts: new Date(started),
        method: req.method ?? 'GET',
        path: target.pathname,
        model: usage?.model ?? model ?? null,
        status,
        durationMs: Date.now() - started,
        tokensIn: usage?.tokensIn ?? 0,
        tokensOut: usage?.tokensOut ?? 0,
        tokensCacheRead: usage?.tokensCacheRead ?? 0,
        tokensCacheWrite: usage?.tokensCacheWrite ?? 0,
        error,
      })
    }

    const send = target.protocol === 'https:' ? httpsRequest : httpRequest
    const outgoing = send(target, { method: req.method, headers: upstreamRequestHeaders(req.headers, target.host, credentials), agent: this.upstreamAgent })
    outgoing.setTimeout(Relay.UPSTREAM_IDLE_MS, () => outgoing.destroy(new Error('upstream idle timeout')))
    outgoing.on('response', (answer) => {
      const status = relayableStatus(answer.statusCode)
      if (RETRY_AFTER_STATUSES.has(status)) {
        const ms = parseRetryAfter(answer.headers['retry-after'], Date.now())
        if (ms !== undefined) this.deps.retryAfter?.(agent, ms)
      }
      res.writeHead(status, withoutHopByHop(answer.headers))
      const type = String(answer.headers['content-type'] ?? '')
      const tap = new UsageTap(type.includes('text/event-stream') ? 'sse' : type.includes('json') ? 'json' : 'other')
      // The API sends one small SSE event per few tokens, each its own HTTP chunk: everything parsed
      // in one tick goes out as one write (cork), which keeps the relay off the per-chunk path.
      let corked = false
      answer.on('data', (chunk: Buffer) => {
        tap.feed(chunk)
        if (!corked) {
          corked = true
          res.cork()
          process.nextTick(() => {
            corked = false
            res.uncork()
          })
        }
        if (!res.write(chunk)) {
          answer.pause()
          res.once('drain', () => answer.resume())
        }
      })
      answer.once('end', () => {
        res.end()
        finish(status, tap.result(), status >= 400 ? `upstream answered ${status}` : null)
      })
      answer.once('error', (e) => finish(status, tap.result(), `upstream stream broke: ${e.message}`))
    })
    outgoing.on('error', (e) => {
      log.warn({ err: e, agent, path: target.pathname }, 'model upstream unreachable')
      finish(502, undefined, `upstream unreachable: ${e.message}`)
      if (res.headersSent) {
        res.destroy()
        return
      }
      res.writeHead(502, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: `hive gateway: model upstream unreachable (${e.message})` } }))
    })
    // The agent went away (cancelled turn): stop the upstream request too.
    res.once('close', () => {
      if (!res.writableFinished) outgoing.destroy()
    })
    // The model name, from the body's head: gathered, then scanned once (not per chunk).
    const scanModel = () => {
      if (model === undefined && scannedBytes > 0) model = /"model"\s*:\s*"([^"\\]{1,128})"/.exec(Buffer.concat(scanned).toString('utf8'))?.[1]
      scanned.length = 0
      scannedBytes = Relay.MODEL_SCAN_BYTES
    }
    req.on('data', (chunk: Buffer) => {
      if (scannedBytes >= Relay.MODEL_SCAN_BYTES) return
      scanned.push(chunk.subarray(0, Relay.MODEL_SCAN_BYTES - scannedBytes))
      scannedBytes += Math.min(chunk.length, Relay.MODEL_SCAN_BYTES - scannedBytes)
      if (scannedBytes >= Relay.MODEL_SCAN_BYTES) scanModel()
    })
    req.once('end', scanModel)
    req.pipe(outgoing)
  }

  /** A plain-HTTP proxy request (`GET http://host/…`, from HTTP_PROXY): same allow-list as CONNECT. */
  private forward(agent: string, req: IncomingMessage, res: ServerResponse, url: string): void {
    let target: URL
    try {
      target = new URL(url)
    } catch {
      res.writeHead(400).end('hive egress: malformed proxy request\n')
      return
    }
    if (target.protocol !== 'http:') {
      res.writeHead(400).end('hive egress: use CONNECT for https\n')
      return
    }
    const host = target.hostname.toLowerCase()
    const port = Number(target.port || 80)
    void decideEgress(agent, host, port, this.deps.egress).then((decision) => {
      if (res.destroyed) return
      if (!decision.ok) {
        this.refused(agent, `${host}:${port}`, decision.reason)
        res.writeHead(403, { 'content-type': 'text/plain' }).end(`hive egress refused: ${decision.reason}\n`)
        return
      }
      const headers = { ...withoutHopByHop(req.headers), host: target.host }
      const outgoing = httpRequest({ host: decision.address, port, method: req.method, path: target.pathname + target.search, headers })
      outgoing.on('response', (answer) => {
        res.writeHead(relayableStatus(answer.statusCode), withoutHopByHop(answer.headers))
        answer.pipe(res)
      })
      outgoing.on('error', (e) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
        res.end(`hive egress: ${e.message}\n`)
      })
      req.pipe(outgoing)
    }).catch((err: unknown) => {
      this.deps.log.error({ err, agent }, 'egress forward failed')
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
      res.end('hive egress: internal error\n')
    })
  }

  private async connect(agent: string, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy())
    const parsed = parseTarget(req.url ?? '')
    if (!parsed) {
      refuse(socket, 'CONNECT target must be host:port')
      return
    }
    const target = `${parsed.host}:${parsed.port}`
    const decision = await decideEgress(agent, parsed.host, parsed.port, this.deps.egress)
    if (!decision.ok) {
      this.refused(agent, target, decision.reason)
      refuse(socket, decision.reason)
      return
    }
    tunnel(socket, head, decision.address, decision.port, (reason) => this.refused(agent, target, reason))
  }
}
