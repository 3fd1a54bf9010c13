import { PtyRelayLimits, RelayFrameKind } from '../protocol/pty-relay-frames.ts'

/** Kind (1 byte) and payload length (4 bytes, big-endian). */
const HEADER_BYTES = 5

/** Terminal bytes as DATA frames, split at `PtyRelayLimits.MAX_FRAME_BYTES`. */
export function encodeData(bytes: Buffer): Buffer[] {
  const frames: Buffer[] = []
  for (let at = 0; at < bytes.length; at += PtyRelayLimits.MAX_FRAME_BYTES) {
    frames.push(frame(RelayFrameKind.DATA, bytes.subarray(at, at + PtyRelayLimits.MAX_FRAME_BYTES)))
  }
  return frames
}

/** One CONTROL frame. Our own frames are small and bounded by their schemas; oversize is a bug. */
export function encodeControl(control: object): Buffer {
  const payload = Buffer.from(JSON.stringify(control), 'utf8')
  if (payload.length > PtyRelayLimits.MAX_FRAME_BYTES) throw new Error(`relay control frame of ${payload.length} bytes is over the cap`)
  return frame(RelayFrameKind.CONTROL, payload)
}

function frame(kind: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES)
  header.writeUInt8(kind, 0)
  header.writeUInt32BE(payload.length, 1)
  return Buffer.concat([header, payload])
}

interface RelayDecoderSink {
  data(bytes: Buffer): void
  /** The raw JSON text of a CONTROL frame; the channel parses it with the peer's schema. */
  control(text: string): void
  /** The stream broke the protocol (unknown kind, oversize frame); nothing more is decoded. */
  violation(reason: string): void
}

/**
 * Cuts a byte stream into frames without ever holding more than one frame: a header announcing
 * more than `PtyRelayLimits.MAX_FRAME_BYTES` is a violation before its payload is buffered.
 */
export class RelayFrameDecoder {
  private chunks: Buffer[] = []
  private buffered = 0
  private broken = false

  constructor(private readonly sink: RelayDecoderSink) {}

  push(chunk: Buffer): void {
    if (this.broken) return
    this.chunks.push(chunk)
    this.buffered += chunk.length
    while (!this.broken && this.buffered >= HEADER_BYTES) {
      const head = this.peek(HEADER_BYTES)
      const kind = head.readUInt8(0)
      const length = head.readUInt32BE(1)
      if (kind !== RelayFrameKind.DATA && kind !== RelayFrameKind.CONTROL) return this.fail(`unknown frame kind ${kind}`)
      if (length > PtyRelayLimits.MAX_FRAME_BYTES) return this.fail(`frame of ${length} bytes is over the ${PtyRelayLimits.MAX_FRAME_BYTES}-byte cap`)
      if (this.buffered < HEADER_BYTES + length) return
      const payload = this.take(HEADER_BYTES + length).subarray(HEADER_BYTES)
      if (kind === RelayFrameKind.DATA) this.sink.data(payload)
      else this.sink.control(payload.toString('utf8'))
    }
  }

  private fail(reason: string): void {
    this.broken = true
    this.chunks = []
    this.buffered = 0
    this.sink.violation(reason)
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]
    if (first && first.length >= n) return first.subarray(0, n)
    const joined = Buffer.concat(this.chunks, this.buffered)
    this.chunks = [joined]
    return joined.subarray(0, n)
  }

  private take(n: number): Buffer {
    const joined = this.peek(n)
    const first = this.chunks[0] ?? Buffer.alloc(0)
    const rest = first.subarray(n)
    this.chunks = rest.length ? [rest, ...this.chunks.slice(1)] : this.chunks.slice(1)
    this.buffered -= n
    return joined
  }
}
