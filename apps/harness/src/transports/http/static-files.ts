import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, normalize, sep } from 'node:path'
import { decodePercentEncoding } from './request-target.ts'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
}

/**
 * Serves the dashboard's static export (`apps/web/out`). `/agent` resolves to `agent.html`, as
 * Next's export names pages; paths never leave the root.
 */
export function staticFiles(root: string): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> {
  return async (req, res, url) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false
    const pathname = decodePercentEncoding(url.pathname)
    if (pathname === undefined) return false // malformed escapes name no file: 404
    const clean = normalize(pathname).replace(/^(\.\.(\/|\\|$))+/, '')
    const candidates = clean.endsWith('/') ? [join(clean, 'index.html')] : [clean, `${clean}.html`, join(clean, 'index.html')]
    for (const candidate of candidates) {
      const file = join(root, candidate)
      if (!file.startsWith(root + sep) && file !== root) continue
      const info = await stat(file).catch(() => undefined)
      if (!info?.isFile()) continue
      const immutable = candidate.startsWith(`${sep}_next${sep}static${sep}`)
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        'x-content-type-options': 'nosniff',
      })
      if (req.method === 'HEAD') res.end()
      else createReadStream(file).pipe(res)
      return true
    }
    return false
  }
}
