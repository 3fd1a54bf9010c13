import type { IncomingMessage } from 'node:http'

export const BodyLimits = {
  /**
   * Largest request body, in bytes (1 MiB). The biggest input, a 64 KiB message body
   * (Limits.MAX_BODY_BYTES), JSON-escaped stays far below it.
   */
  MAX_BYTES: 1024 * 1024,
  /**
   * How long a connection whose body we refused unread stays open (ms), unread: long enough
   * for the client to read the answer before the close resets the connection.
   */
  UNREAD_CLOSE_DELAY_MS: 1_000,
} as const

/** Whether the request carries a body at all (a length over 0, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0
}

/** Whether the declared Content-Length already exceeds `maxBytes` (nothing is read). */
export function declaresTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  return Number(req.headers['content-length'] ?? 0) > maxBytes
}

/**
 * Reads the whole body, counting bytes as they stream in (chunked bodies declare no length).
 * Past `maxBytes` it stops reading, pauses the request and resolves `undefined`: the caller
 * answers 413 and closes the connection instead of draining the rest.
 */
export function readBodyCapped(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const cleanup = () => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        cleanup()
        req.pause()
        resolve(undefined)
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resolve(Buffer.concat(chunks, size))
    }
    const onError = (err: Error) => {
      cleanup()
      reject(err)
    }
    const onClose = () => {
      cleanup()
      reject(new Error('the client closed the request before its body ended'))
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}
