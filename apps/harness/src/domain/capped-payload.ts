/** What an AgentEvent payload over its cap is stored as: how big it was, and as much of it as fits. */
export interface TruncatedPayload {
  truncated: true
  /** The original payload's JSON, in UTF-8 bytes. */
  bytes: number
  /** Its start: a string payload's own text, any other payload's JSON text. */
  head: string
}

export interface CappedPayload {
  payload: unknown
  /** The UTF-8 bytes of `payload`'s JSON, so callers can budget frames without serializing again. */
  bytes: number
}

const utf8 = new TextEncoder()

/**
 * A payload whose JSON fits `maxBytes` of UTF-8, unchanged when it already does; otherwise a
 * `TruncatedPayload` whose own JSON fits. Caps are in bytes, not UTF-16 chars: a CJK character is
 * one char but three bytes on the wire, and a quote or control character grows when escaped.
 */
export function capPayload(payload: unknown, maxBytes: number): CappedPayload {
  const json = JSON.stringify(payload) ?? 'null'
  const bytes = byteLength(json)
  if (bytes <= maxBytes) return { payload: json === 'null' ? null : payload, bytes }
  const text = typeof payload === 'string' ? payload : json
  const frameBytes = byteLength(JSON.stringify({ truncated: true, bytes, head: '' }))
  const head = headFitting(text, Math.max(0, maxBytes - frameBytes))
  const marker: TruncatedPayload = { truncated: true, bytes, head }
  return { payload: marker, bytes: frameBytes + byteLength(JSON.stringify(head)) - 2 }
}

/** The longest prefix of `text` (whole characters only) whose JSON string body fits `budget` bytes. */
function headFitting(text: string, budget: number): string {
  let limit = budget
  for (;;) {
    const head = prefixOfBytes(text, limit)
    const escaped = byteLength(JSON.stringify(head)) - 2
    if (escaped <= budget) return head
    // Escapes made it longer than its raw bytes: shrink in proportion and measure again.
    limit = Math.floor((limit * budget) / escaped)
  }
}

/** The longest prefix of `text` whose UTF-8 fits `maxBytes`, never splitting a character. */
function prefixOfBytes(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return ''
  const { read } = utf8.encodeInto(text, new Uint8Array(maxBytes))
  return text.slice(0, read)
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}
