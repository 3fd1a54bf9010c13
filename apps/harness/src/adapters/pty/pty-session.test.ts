import type { IDisposable, IEvent, IPty, IPtyForkOptions } from 'node-pty'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TerminalClose, type ServerFrame } from '@hive/mcp/terminal-frames'
import { SENTINEL_NONCE_ENV } from './exit-sentinel.ts'
import { Coalesce, FlowControl, Lifetime, Scrollback } from './flow-control.ts'
import { PtySession, type PtySessionOptions, type PtyViewer } from './pty-session.ts'

/** Any pid will do: nothing is ever signalled, the fake only records `kill`. */
const FAKE_PID = 4242
/** Short enough to tell apart from `Lifetime.GRACE_MS` in the option test. */
const TEST_GRACE_MS = 500
const INITIAL_SIZE = { cols: 80, rows: 24 } as const

type DataListener = (data: string | Buffer) => void
interface PtyExit {
  exitCode: number
  signal?: number
}

/** Stands in for node-pty: the test drives output and exit, and reads back what the session asked of it. */
class FakePty implements IPty {
  readonly pid = FAKE_PID
  readonly process = 'fake'
  handleFlowControl = false
  cols: number
  rows: number
  /** `pause`/`resume` calls, in order. */
  readonly flow: Array<'pause' | 'resume'> = []
  readonly writes: Array<string | Buffer> = []
  readonly resizes: Array<[cols: number, rows: number]> = []
  readonly kills: Array<string | undefined> = []
  private readonly dataListeners = new Set<DataListener>()
  private readonly exitListeners = new Set<(e: PtyExit) => void>()

  constructor(
    readonly file: string,
    readonly args: string[],
    readonly options: IPtyForkOptions,
  ) {
    this.cols = options.cols ?? 0
    this.rows = options.rows ?? 0
  }

  // node-pty types `onData` as strings, but PtySession spawns with `encoding: null` so the real
  // PTY delivers Buffers; the fake does too, and the session's listener takes both.
  readonly onData: IEvent<string> = (listener) => listen(this.dataListeners, listener as DataListener)
  readonly onExit: IEvent<PtyExit> = (listener) => listen(this.exitListeners, listener)

  /** The process printed `data`. */
  emit(data: string | Buffer): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data
    for (const l of this.dataListeners) l(bytes)
  }

  /** The wrapper printed its exit sentinel, with the nonce the session gave it. */
  printSentinel(code: number): void {
    this.emit(`\x1b]7777;exit=${this.options.env?.[SENTINEL_NONCE_ENV] ?? ''};${code}\x07`)
  }

  /** The process ended (without printing the exit sentinel). */
  exit(exitCode: number): void {
    for (const l of this.exitListeners) l({ exitCode })
  }

  resize(cols: number, rows: number): void {
    this.cols = cols
    this.rows = rows
    this.resizes.push([cols, rows])
  }
  clear(): void {}
  write(data: string | Buffer): void {
    this.writes.push(data)
  }
  kill(signal?: string): void {
    this.kills.push(signal)
  }
  pause(): void {
    this.flow.push('pause')
  }
  resume(): void {
    this.flow.push('resume')
  }
}

function listen<T>(listeners: Set<(e: T) => void>, listener: (e: T) => void): IDisposable {
  listeners.add(listener)
  return { dispose: () => void listeners.delete(listener) }
}

type ViewerEvent =
  | { kind: 'output'; data: Buffer }
  | { kind: 'control'; frame: ServerFrame }
  | { kind: 'close'; code: number; reason: string }

/** A browser tab: records everything in arrival order. */
class FakeViewer implements PtyViewer {
  readonly log: ViewerEvent[] = []

  sendOutput(data: Buffer): void {
    this.log.push({ kind: 'output', data })
  }
  sendControl(frame: ServerFrame): void {
    this.log.push({ kind: 'control', frame })
  }
  close(code: number, reason: string): void {
    this.log.push({ kind: 'close', code, reason })
  }

  /** Output frames, one per `sendOutput`. */
  get frames(): Buffer[] {
    return this.log.flatMap((e) => (e.kind === 'output' ? [e.data] : []))
  }
  get text(): string {
    return Buffer.concat(this.frames).toString()
  }
  get bytesReceived(): number {
    return this.frames.reduce((n, f) => n + f.length, 0)
  }
  get controls(): ServerFrame[] {
    return this.log.flatMap((e) => (e.kind === 'control' ? [e.frame] : []))
  }
  get closeCode(): number | undefined {
    return this.log.find((e) => e.kind === 'close')?.code
  }
}

/** Sessions of the running test, disposed after it. */
const openSessions = new Set<PtySession>()

/** A session on a fake PTY, disposed when the test ends. */
function startSession(options: Partial<PtySessionOptions> = {}) {
  const spawned: FakePty[] = []
  const session = new PtySession({
    argv: ['bash'],
    cwd: '/',
    env: {},
    ...INITIAL_SIZE,
    ...options,
    spawn: (file, args, forkOptions) => {
      const fake = new FakePty(file, args, forkOptions)
      spawned.push(fake)
      return fake
    },
  })
  const fake = spawned[0]
  if (!fake) throw new Error('PtySession did not spawn its PTY')
  const closed: Array<{ exitCode: number | null }> = []
  session.events.on('closed', (e) => closed.push(e))
  openSessions.add(session)
  return { session, fake, closed }
}

function attachViewer(session: PtySession): FakeViewer {
  const viewer = new FakeViewer()
  session.attach(viewer)
  return viewer
}

/** Lets coalesced output out, whether it waits for the next tick or for a streaming window. */
function passCoalesceWindow(): void {
  vi.advanceTimersByTime(Coalesce.WINDOW_MS)
}

/** Emits `total` bytes in `Coalesce.MAX_BYTES` chunks (each goes out at once), then the tail. */
function flood(fake: FakePty, total: number, fill = 'x'): void {
  for (let sent = 0; sent < total; sent += Coalesce.MAX_BYTES) {
    fake.emit(Buffer.alloc(Math.min(Coalesce.MAX_BYTES, total - sent), fill))
  }
  passCoalesceWindow()
}

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'],
  })
})

afterEach(() => {
  // Dispose while the fakes are installed: the session clears its timer handles, and Node's real
  // clearImmediate given a fake handle would corrupt its count of pending immediates.
  for (const session of openSessions) session.dispose()
  openSessions.clear()
  vi.useRealTimers()
})

describe('PtySession output coalescing', () => {
  it("sends a quiet PTY's first bytes on the next tick, not synchronously", () => {
    const { session, fake } = startSession()
    const viewer = attachViewer(session)

    fake.emit('$ ')
    expect(viewer.frames).toEqual([])
    // No time passes: only setImmediate callbacks run.
    vi.advanceTimersByTime(0)
    expect(viewer.text).toBe('$ ')
  })

  it('batches streaming output into one frame per Coalesce.WINDOW_MS, and stops batching once quiet', () => {
    const { session, fake } = startSession()
    const viewer = attachViewer(session)
    fake.emit(Buffer.alloc(Coalesce.STREAM_FRAME_BYTES, 's'))
    vi.advanceTimersByTime(0)
    expect(viewer.frames).toHaveLength(1)

    vi.advanceTimersByTime(1)
    fake.emit('a')
    fake.emit('b')
    vi.advanceTimersByTime(0)
    expect(viewer.frames).toHaveLength(1)
    // The window is counted from the big frame, one ms of which has already passed.
    vi.advanceTimersByTime(Coalesce.WINDOW_MS - 2)
    expect(viewer.frames).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(viewer.frames.map(String)).toEqual(['s'.repeat(Coalesce.STREAM_FRAME_BYTES), 'ab'])

    vi.advanceTimersByTime(Coalesce.WINDOW_MS)
    fake.emit('c')
    vi.advanceTimersByTime(0)
    expect(viewer.frames.map(String).at(-1)).toBe('c')
  })

  it('sends Coalesce.MAX_BYTES of pending output at once, without waiting', () => {
    const { session, fake } = startSession()
    const viewer = attachViewer(session)

    fake.emit(Buffer.alloc(Coalesce.MAX_BYTES, 'm'))
    expect(viewer.bytesReceived).toBe(Coalesce.MAX_BYTES)
  })

  it('gives every viewer the same frames, in order', () => {
    const { session, fake } = startSession()
    const a = attachViewer(session)
    const b = attachViewer(session)
    const chunks = ['one ', 'two ', 'x'.repeat(Coalesce.STREAM_FRAME_BYTES), ' three', ' four']

    for (const chunk of chunks) {
      fake.emit(chunk)
      vi.advanceTimersByTime(1)
    }
    passCoalesceWindow()

    expect(a.text).toBe(chunks.join(''))
    expect(a.frames.length).toBeGreaterThan(1)
    expect(b.frames).toEqual(a.frames)
  })
})

describe('PtySession flow control', () => {
  it('pauses the PTY only once a viewer has more than FlowControl.HIGH_WATERMARK_BYTES unacked', () => {
    const { session, fake } = startSession()
    attachViewer(session)

    flood(fake, FlowControl.HIGH_WATERMARK_BYTES)
    expect(fake.flow).toEqual([])
    expect(session.isPaused).toBe(false)

    fake.emit('!')
    passCoalesceWindow()
    expect(fake.flow).toEqual(['pause'])
    expect(session.isPaused).toBe(true)

    flood(fake, Coalesce.MAX_BYTES)
    expect(fake.flow).toEqual(['pause'])
  })

  it('resumes only once every viewer is below FlowControl.LOW_WATERMARK_BYTES', () => {
    const { session, fake } = startSession()
    const fast = attachViewer(session)
    const slow = attachViewer(session)
    flood(fake, FlowControl.HIGH_WATERMARK_BYTES + 1)
    expect(fake.flow).toEqual(['pause'])

    session.ack(fast, fast.bytesReceived)
    expect(fake.flow).toEqual(['pause'])
    session.ack(slow, slow.bytesReceived - FlowControl.LOW_WATERMARK_BYTES)
    expect(fake.flow).toEqual(['pause'])

    session.ack(slow, 1)
    expect(fake.flow).toEqual(['pause', 'resume'])
    expect(session.isPaused).toBe(false)
  })

  it('clamps acks at 0, so over-acking banks no credit against the next flood', () => {
    const { session, fake } = startSession()
    const viewer = attachViewer(session)
    fake.emit('prompt$ ')
    passCoalesceWindow()

    session.ack(viewer, 4 * FlowControl.HIGH_WATERMARK_BYTES)
    flood(fake, FlowControl.HIGH_WATERMARK_BYTES + 1)
    expect(fake.flow).toEqual(['pause'])
  })

  it('closes a viewer that acks nothing for over FlowControl.STALLED_VIEWER_MS while paused, and resumes for the others', () => {
    const { session, fake } = startSession()
    const live = attachViewer(session)
    const stalled = attachViewer(session)
    flood(fake, FlowControl.HIGH_WATERMARK_BYTES + 1)
    session.ack(live, live.bytesReceived)
    expect(fake.flow).toEqual(['pause'])

    // Dropped only after *more than* the limit since its last ack (here: since it attached).
    vi.advanceTimersByTime(FlowControl.STALLED_VIEWER_MS - Coalesce.WINDOW_MS)
    expect(stalled.closeCode).toBeUndefined()
    vi.advanceTimersByTime(FlowControl.STALLED_VIEWER_MS)
    expect(stalled.closeCode).toBe(TerminalClose.STALLED)
    expect(fake.flow).toEqual(['pause', 'resume'])
    expect(session.viewerCount).toBe(1)

    const before = stalled.log.length
    fake.emit('still here')
    passCoalesceWindow()
    expect(live.text.endsWith('still here')).toBe(true)
    expect(live.closeCode).toBeUndefined()
    expect(stalled.log).toHaveLength(before)
  })

  it('keeps a slow viewer that still acks, however long the PTY stays paused', () => {
    const { session, fake } = startSession()
    const slow = attachViewer(session)
    flood(fake, FlowControl.HIGH_WATERMARK_BYTES + 1)

    for (let waited = 0; waited < 4 * FlowControl.STALLED_VIEWER_MS; waited += FlowControl.STALLED_VIEWER_MS / 2) {
      vi.advanceTimersByTime(FlowControl.STALLED_VIEWER_MS / 2)
      session.ack(slow, 1)
    }

    expect(slow.closeCode).toBeUndefined()
    expect(fake.flow).toEqual(['pause'])
  })
})

describe('PtySession attach and resize', () => {
  it('sends hello with the size, then the scrollback (banner first), then live output', () => {
    const { session, fake } = startSession({ banner: 'UNISOLATED\r\n' })
    fake.emit('$ ls\r\n')
    passCoalesceWindow()

    const viewer = attachViewer(session)
    expect(viewer.log).toEqual([
      { kind: 'control', frame: { type: 'hello', ...INITIAL_SIZE } },
      { kind: 'output', data: Buffer.from('UNISOLATED\r\n$ ls\r\n') },
    ])

    fake.emit('a.txt\r\n')
    passCoalesceWindow()
    expect(viewer.frames.map(String)).toEqual(['UNISOLATED\r\n$ ls\r\n', 'a.txt\r\n'])
  })

  it('replays output still pending at attach exactly once', () => {
    const { session, fake } = startSession()
    const earlier = attachViewer(session)
    fake.emit('pending')

    const later = attachViewer(session)
    passCoalesceWindow()

    expect(later.frames.map(String)).toEqual(['pending'])
    expect(earlier.frames.map(String)).toEqual(['pending'])
  })

  it('replays at most Scrollback.BYTES, keeping the newest output', () => {
    const { session, fake } = startSession()
    const chunkCount = Scrollback.BYTES / Coalesce.MAX_BYTES + 1
    const chunks = Array.from({ length: chunkCount }, (_, i) => Buffer.alloc(Coalesce.MAX_BYTES, String.fromCharCode(0x61 + i)))
    for (const chunk of chunks) fake.emit(chunk)

    const viewer = attachViewer(session)
    const [replay] = viewer.frames
    expect(replay?.length).toBeLessThanOrEqual(Scrollback.BYTES)
    expect(replay?.equals(Buffer.concat(chunks.slice(1)))).toBe(true)
  })

  it('clamps a resize to at least 1×1 and tells every viewer', () => {
    const { session, fake } = startSession()
    const a = attachViewer(session)
    const b = attachViewer(session)

    session.resize(0, -3)
    session.resize(120.9, 40.2)

    expect(fake.resizes).toEqual([
      [1, 1],
      [120, 40],
    ])
    for (const viewer of [a, b]) {
      expect(viewer.controls.slice(1)).toEqual([
        { type: 'resize', cols: 1, rows: 1 },
        { type: 'resize', cols: 120, rows: 40 },
      ])
    }
    expect(attachViewer(session).controls).toEqual([{ type: 'hello', cols: 120, rows: 40 }])
  })

  it('clamps the initial size to at least 1×1 when spawning', () => {
    const { fake } = startSession({ cols: 0, rows: 0 })
    expect([fake.options.cols, fake.options.rows]).toEqual([1, 1])
    expect(fake.options.encoding).toBeNull()
  })
})

describe('PtySession lifetime', () => {
  it('reaps the session Lifetime.GRACE_MS after its last viewer leaves, not before', () => {
    const { session, fake, closed } = startSession()
    const a = attachViewer(session)
    const b = attachViewer(session)

    session.detach(a)
    vi.advanceTimersByTime(2 * Lifetime.GRACE_MS)
    expect(closed).toEqual([])

    session.detach(b)
    vi.advanceTimersByTime(Lifetime.GRACE_MS - 1)
    expect(closed).toEqual([])
    vi.advanceTimersByTime(1)
    expect(closed).toEqual([{ exitCode: null }])
    expect(fake.kills).toEqual(['SIGHUP'])
  })

  it('reaps a session whose only viewer was dropped for stalling', () => {
    const { session, fake, closed } = startSession()
    const stalled = attachViewer(session)
    flood(fake, FlowControl.HIGH_WATERMARK_BYTES + 1)
    vi.advanceTimersByTime(2 * FlowControl.STALLED_VIEWER_MS)
    expect(stalled.closeCode).toBe(TerminalClose.STALLED)
    // Its socket then closes: detach finds no viewer, but the grace period still runs.
    session.detach(stalled)
    vi.advanceTimersByTime(Lifetime.GRACE_MS)
    expect(closed).toEqual([{ exitCode: null }])
  })

  it('uses the graceMs option for the grace period', () => {
    const { session, closed } = startSession({ graceMs: TEST_GRACE_MS })
    session.detach(attachViewer(session))

    vi.advanceTimersByTime(TEST_GRACE_MS - 1)
    expect(closed).toEqual([])
    vi.advanceTimersByTime(1)
    expect(closed).toHaveLength(1)
  })

  it('cancels the reap when a viewer re-attaches within the grace period', () => {
    const { session, fake, closed } = startSession()
    session.detach(attachViewer(session))
    vi.advanceTimersByTime(Lifetime.GRACE_MS - 1)

    const back = attachViewer(session)
    vi.advanceTimersByTime(2 * Lifetime.GRACE_MS)

    expect(closed).toEqual([])
    expect(fake.kills).toEqual([])
    expect(back.closeCode).toBeUndefined()
  })

  it('dispose flushes pending output, sends exit, closes every viewer with ENDED and emits closed once', () => {
    const { session, fake, closed } = startSession()
    const a = attachViewer(session)
    const b = attachViewer(session)
    fake.emit('tail')

    session.dispose()
    session.dispose()

    for (const viewer of [a, b]) {
      expect(viewer.log.slice(1)).toEqual([
        { kind: 'output', data: Buffer.from('tail') },
        { kind: 'control', frame: { type: 'exit', code: null } },
        { kind: 'close', code: TerminalClose.ENDED, reason: 'session ended' },
      ])
    }
    expect(closed).toEqual([{ exitCode: null }])
    expect(fake.kills).toEqual(['SIGHUP'])
    expect(attachViewer(session).log).toEqual([{ kind: 'close', code: TerminalClose.SESSION_GONE, reason: 'session ended' }])
  })

  it('ends with the exit sentinel, after all the output before it', () => {
    const { session, fake, closed } = startSession()
    const viewer = attachViewer(session)

    fake.emit('done\r\n')
    fake.printSentinel(3)

    expect(viewer.log.slice(1)).toEqual([
      { kind: 'output', data: Buffer.from('done\r\n') },
      { kind: 'control', frame: { type: 'exit', code: 3 } },
      { kind: 'close', code: TerminalClose.ENDED, reason: 'session ended' },
    ])
    expect(closed).toEqual([{ exitCode: 3 }])
  })

  it('treats a sentinel printed by hand (no nonce, or a wrong one) as output', () => {
    const { session, fake, closed } = startSession()
    const viewer = attachViewer(session)
    const forged = `\x1b]7777;exit=0\x07\x1b]7777;exit=${'0'.repeat(32)};0\x07`

    fake.emit(`${forged}still-here`)
    session.dispose()

    expect(viewer.text).toBe(`${forged}still-here`)
    expect(closed).toEqual([{ exitCode: null }])
  })

  it('gives a process killed before the sentinel Lifetime.EXIT_STRAGGLERS_MS for its last output', () => {
    const { session, fake, closed } = startSession()
    const viewer = attachViewer(session)

    fake.exit(130)
    fake.emit('straggler')
    expect(closed).toEqual([])
    vi.advanceTimersByTime(Lifetime.EXIT_STRAGGLERS_MS)

    expect(viewer.text).toBe('straggler')
    expect(viewer.controls.at(-1)).toEqual({ type: 'exit', code: 130 })
    expect(closed).toEqual([{ exitCode: 130 }])
  })
})
