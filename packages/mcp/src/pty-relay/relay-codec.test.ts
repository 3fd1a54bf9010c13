import { describe, expect, it } from 'vitest'
import { PtyRelayLimits, RelayFrameKind } from '../protocol/pty-relay-frames.ts'
import { RelayFrameDecoder, encodeControl, encodeData } from './relay-codec.ts'

type Decoded = { data: Buffer } | { control: string } | { violation: string }

function decoder() {
  const out: Decoded[] = []
  const d = new RelayFrameDecoder({
    data: (bytes) => out.push({ data: Buffer.from(bytes) }),
    control: (text) => out.push({ control: text }),
    violation: (reason) => out.push({ violation: reason }),
  })
  return { d, out }
}

describe('pty relay codec', () => {
  it('round-trips data and control frames in order, however the stream is cut', () => {
    const wire = Buffer.concat([...encodeData(Buffer.from('héllo')), encodeControl({ type: 'pause' }), ...encodeData(Buffer.from([0, 1, 2]))])
    const { d, out } = decoder()
    for (let i = 0; i < wire.length; i++) d.push(wire.subarray(i, i + 1))
    expect(out).toEqual([{ data: Buffer.from('héllo') }, { control: '{"type":"pause"}' }, { data: Buffer.from([0, 1, 2]) }])
  })

  it('splits data longer than PtyRelayLimits.MAX_FRAME_BYTES into frames under the cap', () => {
    const big = Buffer.alloc(2 * PtyRelayLimits.MAX_FRAME_BYTES + 7, 0x61)
    const frames = encodeData(big)
    expect(frames.map((f) => f.length - 5)).toEqual([PtyRelayLimits.MAX_FRAME_BYTES, PtyRelayLimits.MAX_FRAME_BYTES, 7])
    const { d, out } = decoder()
    d.push(Buffer.concat(frames))
    // Buffer.equals: a deep toEqual over 128 KiB takes a second.
    expect(Buffer.concat(out.map((o) => ('data' in o ? o.data : Buffer.alloc(0)))).equals(big)).toBe(true)
  })

  it('refuses a header announcing more than the cap before buffering its payload, and decodes nothing after', () => {
    const header = Buffer.alloc(5)
    header.writeUInt8(RelayFrameKind.DATA, 0)
    header.writeUInt32BE(PtyRelayLimits.MAX_FRAME_BYTES + 1, 1)
    const { d, out } = decoder()
    d.push(header)
    d.push(Buffer.concat(encodeData(Buffer.from('after'))))
    expect(out).toEqual([{ violation: `frame of ${PtyRelayLimits.MAX_FRAME_BYTES + 1} bytes is over the ${PtyRelayLimits.MAX_FRAME_BYTES}-byte cap` }])
  })

  it('refuses an unknown frame kind', () => {
    const { d, out } = decoder()
    d.push(Buffer.from([9, 0, 0, 0, 0]))
    expect(out).toEqual([{ violation: 'unknown frame kind 9' }])
  })
})
