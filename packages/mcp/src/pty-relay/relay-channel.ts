import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import type { z } from 'zod'
import { RelayFrameDecoder, encodeControl, encodeData } from './relay-codec.ts'

interface RelayChannelEvents<In> {
  /** Terminal bytes from the peer. */
  data: [Buffer]
  /** A control frame from the peer, parsed with its schema. */
  control: [In]
  /** The socket can take more after a `send…` returned false. */
  drain: []
  /** The connection is gone; `reason` when we cut it for a protocol violation. */
  close: [reason: string | undefined]
}

/**
 * One pty relay connection, typed by what each end sends (`In` from the peer, `Out` to it).
 * Every control frame is parsed on arrival; a malformed, unknown or oversize frame closes the
 * connection, never the process. `send…` return false while the socket's buffer is full (the
 * caller pauses its PTY until `drain`).
 */
export class RelayChannel<In, Out extends object> {
  readonly events = new EventEmitter<RelayChannelEvents<In>>()
  private violation: string | undefined

  constructor(
    private readonly socket: Socket,
    incoming: z.ZodType<In>,
  ) {
    // Once destroyed, the rest of a chunk being decoded is dropped, not emitted.
    const decoder = new RelayFrameDecoder({
      data: (bytes) => {
        if (!socket.destroyed) this.events.emit('data', bytes)
      },
      control: (text) => {
        if (socket.destroyed) return
        let raw: unknown
        try {
          raw = JSON.parse(text)
        } catch {
          return this.destroy('control frame is not JSON')
        }
        const parsed = incoming.safeParse(raw)
        if (!parsed.success) return this.destroy(`bad control frame: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'frame'}: ${i.message}`).join('; ')}`)
        this.events.emit('control', parsed.data)
      },
      violation: (reason) => this.destroy(reason),
    })
    socket.on('data', (chunk: Buffer) => decoder.push(chunk))
    socket.on('drain', () => this.events.emit('drain'))
    // The close event follows; the owner hears the cause there.
    socket.on('error', () => undefined)
    socket.once('close', () => this.events.emit('close', this.violation))
  }

  get closed(): boolean {
    return this.socket.destroyed
  }

  sendData(bytes: Buffer): boolean {
    let ok = true
    for (const frame of encodeData(bytes)) ok = this.write(frame) && ok
    return ok
  }

  sendControl(frame: Out): boolean {
    return this.write(encodeControl(frame))
  }

  /** Closes after what was written has gone out. */
  end(): void {
    if (!this.socket.destroyed) this.socket.end()
  }

  /** Closes now, dropping what is unsent; `reason` is reported as a protocol violation. */
  destroy(reason?: string): void {
    this.violation ??= reason
    this.socket.destroy()
  }

  private write(frame: Buffer): boolean {
    if (this.socket.destroyed || this.socket.writableEnded) return false
    return this.socket.write(frame)
  }
}
