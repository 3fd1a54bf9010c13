import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { messagesRequestSchema, textOf, turnPosition, type MessagesRequest } from './messages-request.ts'
import type { RequestSummary, Script, Step, ToolCall } from './scenario.ts'
import { jsonMessage, writeSse, type ReplyContent } from './sse-reply.ts'

/** One request as the fake saw it. */
export interface LoggedRequest {
  at: number
  method: string
  path: string
  /** The credentials it came with (x-api-key / authorization), to prove who added them. */
  auth: { apiKey: string | undefined; authorization: string | undefined }
  summary: RequestSummary | undefined
  body: unknown
  /** Name of the script that answered, or undefined (default reply / not a messages call). */
  script: string | undefined
  /** What was answered: step index, 'default', 'tool-search', 'error'. */
  answer: string
}

export interface FakeAnthropicOptions {
  scripts?: Script[]
  /** Reply to requests no script matches (and to steps past a script's end). */
  defaultText?: string
}

/** Every Messages API call fails the same way for a while, as the real API does in an outage. */
export interface Outage {
  status: number
  /** The error body's `error.type` (`overloaded_error`, `rate_limit_error`…). */
  type: string
  forMs: number
  /** Sent as the `retry-after` header. */
  retryAfterSeconds?: number
}

export interface FakeAnthropic {
  url: string
  requests: LoggedRequest[]
  /** Starts an outage now; requests are answered normally again after `forMs`. */
  outage(outage: Outage): void
  /** Replaces the scripts (e.g. per test). */
  setScripts(scripts: Script[]): void
  waitForRequest(predicate: (r: LoggedRequest) => boolean, timeoutMs?: number): Promise<LoggedRequest>
  close(): Promise<void>
}

/**
 * A scripted stand-in for the Anthropic Messages API that the real `claude` CLI talks to in
 * tests. Only the model is fake: replies are chosen statelessly from the conversation, so several
 * agents can share one fake.
 */
export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  let scripts = options.scripts ?? []
  let outage: (Outage & { until: number }) | undefined
  const defaultText = options.defaultText ?? 'Done.'
  const requests: LoggedRequest[] = []
  const waiters = new Set<() => void>()

  const log = (entry: LoggedRequest) => {
    requests.push(entry)
    for (const w of [...waiters]) w()
  }

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: String(err) } }))
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    const raw = await readBody(req)
    let body: unknown
    try {
      body = raw ? JSON.parse(raw) : undefined
    } catch {
      body = raw
    }
    const header = (name: string) => [req.headers[name]].flat()[0]
    const base = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path: url.pathname,
      auth: { apiKey: header('x-api-key'), authorization: header('authorization') },
      body,
    }

    if (req.method === 'POST' && url.pathname === '/v1/messages/count_tokens') {
      log({ ...base, summary: undefined, script: undefined, answer: 'count_tokens' })
      return json(res, 200, { input_tokens: Math.ceil(raw.length / 4) })
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/messages') {
      log({ ...base, summary: undefined, script: undefined, answer: 'not-found' })
      return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: `${url.pathname} is not faked` } })
    }
    if (outage && Date.now() < outage.until) {
      log({ ...base, summary: undefined, script: undefined, answer: `outage ${outage.status}` })
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (outage.retryAfterSeconds !== undefined) headers['retry-after'] = String(outage.retryAfterSeconds)
      res.writeHead(outage.status, headers)
      res.end(JSON.stringify({ type: 'error', error: { type: outage.type, message: `fake outage (${outage.status})` } }))
      return
    }
    const parsed = messagesRequestSchema.safeParse(body)
    if (!parsed.success) {
      log({ ...base, summary: undefined, script: undefined, answer: 'invalid' })
      return json(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: parsed.error.message } })
    }
    const request = parsed.data
    const summary = summarize(request)
    const script = scripts.find((s) => s.match(summary))
    const step: Step | undefined = script?.steps[summary.step]

    if (!script || !step) {
      log({ ...base, summary, script: script?.name, answer: 'default' })
      return reply(res, request, { text: defaultText, toolUses: [] })
    }
    if ('stall' in step) {
      log({ ...base, summary, script: script.name, answer: 'stall' })
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      res.write(': the model is thinking, forever\n\n')
      return
    }
    if ('error' in step) {
      log({ ...base, summary, script: script.name, answer: 'error' })
      return json(res, step.error.status, { type: 'error', error: { type: step.error.type, message: step.error.message } })
    }
    const toolUses: ToolCall[] = 'toolUse' in step ? [step.toolUse].flat() : []
    const missing = toolUses.find((t) => !summary.tools.includes(t.name))
    if (missing && summary.tools.includes('ToolSearch')) {
      // Deferred MCP tools: load the tool first, as a real model would.
      log({ ...base, summary, script: script.name, answer: 'tool-search' })
      return reply(res, request, { toolUses: [{ name: 'ToolSearch', input: { query: `select:${missing.name}` } }] })
    }
    // Logged before the delay, so a test can act while the model "thinks".
    log({ ...base, summary, script: script.name, answer: `step ${summary.step}` })
    if (step.delayMs) await sleep(step.delayMs)
    if (res.destroyed) return
    return reply(res, request, { ...(step.text ? { text: step.text } : {}), toolUses })
  }

  function reply(res: ServerResponse, request: MessagesRequest, content: ReplyContent): void {
    if (request.stream) writeSse(res, request.model, content)
    else json(res, 200, jsonMessage(request.model, content))
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setScripts(next) {
      scripts = next
    },
    outage(next) {
      outage = { ...next, until: Date.now() + next.forMs }
    },
    waitForRequest(predicate, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = requests.find(predicate)
          if (!hit) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve(hit)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no matching request to the fake model within ${timeoutMs} ms (${requests.length} seen)`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    close() {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

function summarize(request: MessagesRequest): RequestSummary {
  const { turnText, step } = turnPosition(request)
  return {
    model: request.model,
    system: textOf(request.system),
    turnText,
    tools: (request.tools ?? []).map((t) => t.name),
    step,
    stream: request.stream ?? false,
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(value))
}
