/**
 * Terminal flow control, in bytes of output sent to a viewer but not yet acknowledged by its
 * xterm.js (acks come from `term.write`'s callback). Values after reference/perf-anchors.md §4:
 * a window of about 1 MiB keeps ^C → prompt well under 100 ms at browser parse speeds.
 */
export const FlowControl = {
  /** Pause the PTY when any viewer has this much unacknowledged output. */
  HIGH_WATERMARK_BYTES: 1024 * 1024,
  /** Resume once every viewer is back under this. */
  LOW_WATERMARK_BYTES: 256 * 1024,
  /** A viewer that has acked nothing for this long while the PTY is paused is dropped (forced resume). */
  STALLED_VIEWER_MS: 15_000,
} as const

export const Coalesce = {
  /** Output gathered while it streams; a quiet PTY's first byte goes out on the next tick. */
  WINDOW_MS: 16,
  MAX_BYTES: 64 * 1024,
  /** A frame this big means output is streaming (keystroke echoes are a few bytes). */
  STREAM_FRAME_BYTES: 2048,
} as const

export const Scrollback = {
  /** Output kept for viewers that (re)connect. */
  BYTES: 512 * 1024,
} as const

export const Lifetime = {
  /** How long a PTY outlives its last viewer (a reload, a closed tab) before it is reaped. */
  GRACE_MS: 60_000,
  /** A process killed before it printed the exit sentinel: output still in flight gets this long. */
  EXIT_STRAGGLERS_MS: 50,
} as const
