import { spawn, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/**
 * A Messages-API stand-in in its own process: the first SSE frame goes out at once (TTFT), then
 * `?bytes=N` more of content deltas in 64 KiB writes that respect backpressure (throughput).
 */
const UPSTREAM = `
const http = require('node:http')
const frame = (type, data) => 'event: ' + type + '\\ndata: ' + JSON.stringify({ type, ...data }) + '\\n\\n'
const big = Buffer.from(frame('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'x'.repeat(64 * 1024 - 120) } }))
// The API's own shape: one small content_block_delta event per few tokens.
const small = Buffer.from(frame('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'tokens '.repeat(12) } }))
http.createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    const params = new URL(req.url, 'http://u').searchParams
    let left = Number(params.get('bytes') || 0)
    const delta = params.get('frames') === 'small' ? small : big
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.write(frame('message_start', { message: { model: 'claude-haiku-bench', usage: { input_tokens: 10, output_tokens: 1 } } }))
    const pump = () => {
      while (left > 0) { left -= delta.length; if (!res.write(delta)) return res.once('drain', pump) }
      res.end(frame('message_delta', { usage: { output_tokens: 5 } }) + frame('message_stop', {}))
    }
    pump()
  })
}).listen(0, '127.0.0.1', function () { console.log(this.address().port) })
`

const HOST = fileURLToPath(new URL('./gateway-host.ts', import.meta.url))
const TSX = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url))

async function child(argv: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] })
  const line = await new Promise<string>((resolve, reject) => {
    if (!proc.stdout) return reject(new Error('no stdout'))
    createInterface({ input: proc.stdout }).once('line', resolve)
    proc.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}`)))
  })
  return { proc, port: Number(line) }
}

interface Timing {
  firstByteMs: number
  bytes: number
  totalMs: number
}

function post(port: number, path: string): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    let first = 0
    let bytes = 0
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'x-api-key': 'placeholder' } }, (res) => {
      res.on('data', (d: Buffer) => {
        if (!first) first = Number(process.hrtime.bigint() - started) / 1e6
        bytes += d.length
      })
      res.on('end', () => resolve({ firstByteMs: first, bytes, totalMs: Number(process.hrtime.bigint() - started) / 1e6 }))
    })
    req.on('error', reject)
    req.end('{"model":"claude-haiku-bench","max_tokens":16,"stream":true,"messages":[]}')
  })
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN
const r3 = (x: number) => Math.round(x * 1000) / 1000
const median = (xs: number[]) => pct(xs, 0.5)

/** Time to first SSE byte and streamed throughput, through gateway + forwarder vs straight to the upstream. */
export async function benchGateway(opts: { samples: number; streamBytes: number; rounds: number }) {
  const upstream = await child(['-e', UPSTREAM])
  const host = await child([TSX, HOST, `http://127.0.0.1:${upstream.port}`])
  try {
    for (let i = 0; i < 50; i++) await Promise.all([post(upstream.port, '/v1/messages'), post(host.port, '/v1/messages')])
    const direct: number[] = []
    const through: number[] = []
    for (let i = 0; i < opts.samples; i++) {
      direct.push((await post(upstream.port, '/v1/messages')).firstByteMs)
      through.push((await post(host.port, '/v1/messages')).firstByteMs)
    }
    const rate = (t: Timing) => t.bytes / 1e6 / (t.totalMs / 1000)
    const stream = async (frames: 'big' | 'small') => {
      const direct: number[] = []
      const through: number[] = []
      for (let r = 0; r < opts.rounds; r++) {
        direct.push(rate(await post(upstream.port, `/v1/messages?frames=${frames}&bytes=${opts.streamBytes}`)))
        through.push(rate(await post(host.port, `/v1/messages?frames=${frames}&bytes=${opts.streamBytes}`)))
      }
      return { direct: median(direct), through: median(through) }
    }
    const big = await stream('big')
    const small = await stream('small')
    return {
      ttft_direct_p50_ms: r3(median(direct)),
      ttft_gateway_p50_ms: r3(median(through)),
      ttft_overhead_p50_ms: r3(median(through) - median(direct)),
      ttft_gateway_p99_ms: r3(pct(through, 0.99)),
      direct_mb_s: r3(big.direct),
      gateway_mb_s: r3(big.through),
      throughput_ratio: r3(big.through / big.direct),
      small_frames_direct_mb_s: r3(small.direct),
      small_frames_gateway_mb_s: r3(small.through),
      small_frames_throughput_ratio: r3(small.through / small.direct),
      samples: opts.samples,
      stream_bytes: opts.streamBytes,
      rounds: opts.rounds,
    }
  } finally {
    host.proc.kill()
    upstream.proc.kill()
  }
}
