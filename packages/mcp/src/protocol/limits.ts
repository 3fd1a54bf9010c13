/** Input limits from design.md ("Agent names and input rules"). */
export const Limits = {
  /** Message body, in UTF-8 bytes (64 KiB). */
  MAX_BODY_BYTES: 64 * 1024,
  /** Operator question text, in characters. */
  MAX_QUESTION_CHARS: 4096,
  MAX_QUESTION_OPTIONS: 16,
  MAX_OPTION_CHARS: 200,
  /** Longest `recv` park, in seconds; longer waits are refused, not clamped, so callers learn the rule. */
  MAX_RECV_WAIT_SECONDS: 180,
  /** One JSON line on a socket, in bytes: a 64 KiB body JSON-escaped can grow up to 6×, plus envelope. */
  MAX_LINE_BYTES: 512 * 1024,
  /**
   * One answer line a client reads, in bytes: the daemon refuses (by id) to send a bigger one, so a
   * listing too large for one line fails that call alone instead of the connection.
   */
  MAX_REPLY_LINE_BYTES: 2 * 1024 * 1024,
  /**
   * A page of a byte-heavy listing (the inbox), in bytes of JSON: it stops before this, with at
   * least one item, so the largest page (one 64 KiB body escaped 6×) stays under the reply line.
   */
  MAX_PAGE_BYTES: 1024 * 1024,
  /** One AgentEvent payload's JSON, in UTF-8 bytes; a larger one is stored truncated, with a marker. */
  MAX_EVENT_PAYLOAD_BYTES: 64 * 1024,
  /** `recent` / inbox listings. */
  MAX_LIST_LIMIT: 500,
} as const
