/** RFC 6455 §5.5: a close frame's payload is at most 125 bytes, two of them the code. */
const MAX_CLOSE_REASON_BYTES = 123
const ELLIPSIS = '…'

/**
 * `text` cut to fit a websocket close reason, on a UTF-8 character boundary, with an ellipsis
 * when cut. `ws.close` throws a RangeError for a longer reason, and a reason that echoes a
 * client's input (a unicode agent name) is longer in bytes than in characters.
 */
export function closeReason(text: string): string {
  const bytes = Buffer.from(text)
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return text
  let end = MAX_CLOSE_REASON_BYTES - Buffer.byteLength(ELLIPSIS)
  // A continuation byte (10xxxxxx) at the cut belongs to a character that starts before it.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--
  return bytes.subarray(0, end).toString('utf8') + ELLIPSIS
}
