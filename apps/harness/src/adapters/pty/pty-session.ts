import { EventEmitter } from 'node:events'
import * as pty from 'node-pty'
import { TerminalClose, type ServerFrame } from '@hive/mcp/terminal-frames'
import { Coalesce, FlowControl, Lifetime, Scrollback } from './flow-control.ts'
import { launchWithSentinel, type SentinelScanner } from './exit-sentinel.ts'

/** One browser tab (or test client) looking at a session. */
export interface PtyViewer {
  /** Output bytes, in order. */
  sendOutput(data: Buffer): void
  sendControl(frame: ServerFrame): void
  close(code: number, reason: string): void
}

/** What the session needs of a PTY: node-pty's `IPty`, or a terminal relayed from the payload (remote-pty.ts). */
export interface PtyProcess {
  readonly pid: number
  onData(listener: (data: string | Buffer) => void): pty.IDisposable
  onExit(listener: (e: { exitCode: number; signal?: number }) => void): pty.IDisposable
  write(data: string): void
  resize(cols: number, rows: number): void
  pause(): void
  resume(): void
  kill(signal?: string): void
}

/** Starts the process behind a PTY; node-pty's `spawn`, narrowed to what the session passes. */
export type PtySpawn = (file: string, args: string[], options: pty.IPtyForkOptions) => PtyProcess

export interface PtySessionOptions {
  argv: readonly string[]
  cwd: string
  env: NodeJS.ProcessEnv
  cols: number
  rows: number
  /** Printed before the process's own output (the UNISOLATED warning). */
  banner?: string
  graceMs?: number
  /** Default node-pty's `spawn`; a fake PTY in unit tests, the payload's terminal under nspawn. */
  spawn?: PtySpawn
  /**
   * Run argv under the exit sentinel (default). Off for a spawn whose exit already follows all
   * of its output, such as the payload's relayed terminal (its `exit` frame comes last).
   */
  exitSentinel?: boolean
}

interface ViewerState {
  unacked: number
  lastAckAt: number
}

interface PtySessionEvents {
  /** The session is over (process exited, or reaped after its grace period). */
  closed: [{ exitCode: number | null }]
}

const clamp = (n: number, max: number) => Math.max(1, Math.min(max, Math.floor(n)))

/**
 * One PTY shared by any number of viewers: coalesced binary output, ack-based flow control
 * (pause above the high watermark, resume below the low one, drop a viewer that stalls), a
 * bounded scrollback replayed on attach, a grace period after the last viewer leaves, and an
 * exit that never loses the tail of the output (see exit-sentinel.ts).
 */
export class PtySession {
  readonly events = new EventEmitter<PtySessionEvents>()
  private readonly process: PtyProcess
  private readonly viewers = new Map<PtyViewer, ViewerState>()
  private readonly scanner: SentinelScanner | undefined
  private scrollback: Buffer[] = []
  private scrollbackBytes = 0
  private pending: Buffer[] = []
  private pendingBytes = 0
  /** Cancels the scheduled flush: an immediate or a timeout, each needing its own clear call. */
  private cancelFlush: (() => void) | undefined
  private lastFlushAt = 0
  private lastFlushBytes = 0
  private paused = false
  private stallTimer: NodeJS.Timeout | undefined
  private graceTimer: NodeJS.Timeout | undefined
  private exitTimer: NodeJS.Timeout | undefined
  private exitCode: number | null = null
  private disposed = false
  cols: number
  rows: number

  constructor(private readonly opts: PtySessionOptions) {
    this.cols = clamp(opts.cols, 1000)
    this.rows = clamp(opts.rows, 500)
    const launch = opts.exitSentinel === false ? undefined : launchWithSentinel(opts.argv, opts.env)
    this.scanner = launch?.scanner
    const [file = '/bin/sh', ...args] = launch ? [launch.file, ...launch.args] : opts.argv
    const spawn = opts.spawn ?? pty.spawn
    this.process = spawn(file, args, {
      name: 'xterm-256color',
      cols: this.cols,
      rows: this.rows,
      cwd: opts.cwd,
      env: launch?.env ?? opts.env,
      // Bytes, not strings: no UTF-8 split hazards at chunk boundaries, less CPU.
      encoding: null,
    })
    if (opts.banner) this.output(Buffer.from(opts.banner))
    this.process.onData((data: string | Buffer) => this.onData(typeof data === 'string' ? Buffer.from(data) : data))
    this.process.onExit(({ exitCode }) => this.onProcessExit(exitCode))
  }

  get pid(): number {
    return this.process.pid
  }

  get viewerCount(): number {
    return this.viewers.size
  }

  get isPaused(): boolean {
    return this.paused
  }

  /** Adds a viewer: it first gets the scrollback, then live output. */
  attach(viewer: PtyViewer): void {
    if (this.disposed) {
      viewer.close(TerminalClose.SESSION_GONE, 'session ended')
      return
    }
    clearTimeout(this.graceTimer)
    this.graceTimer = undefined
    this.flush()
    const replay = Buffer.concat(this.scrollback, this.scrollbackBytes)
    this.viewers.set(viewer, { unacked: replay.length, lastAckAt: Date.now() })
    viewer.sendControl({ type: 'hello', cols: this.cols, rows: this.rows })
    if (replay.length) viewer.sendOutput(replay)
    this.updatePause()
  }

  detach(viewer: PtyViewer): void {
    if (!this.viewers.delete(viewer)) return
    this.updatePause()
    if (this.viewers.size === 0) this.startGrace()
  }

  /** The last viewer is gone: the PTY lives on for a reload, then goes. */
  private startGrace(): void {
    if (this.disposed) return
    clearTimeout(this.graceTimer)
    this.graceTimer = setTimeout(() => this.dispose(), this.opts.graceMs ?? Lifetime.GRACE_MS)
  }

  write(data: string | Buffer): void {
    if (!this.disposed) this.process.write(typeof data === 'string' ? data : data.toString('utf8'))
  }

  resize(cols: number, rows: number): void {
    if (this.disposed) return
    this.cols = clamp(cols, 1000)
    this.rows = clamp(rows, 500)
    this.process.resize(this.cols, this.rows)
    for (const v of this.viewers.keys()) v.sendControl({ type: 'resize', cols: this.cols, rows: this.rows })
  }

  ack(viewer: PtyViewer, bytes: number): void {
    const state = this.viewers.get(viewer)
    if (!state) return
    state.unacked = Math.max(0, state.unacked - bytes)
    state.lastAckAt = Date.now()
    this.updatePause()
  }

  /** Ends the session now: kills the process group, tells the viewers. */
  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.flush()
    clearInterval(this.stallTimer)
    clearTimeout(this.graceTimer)
    clearTimeout(this.exitTimer)
    try {
      this.process.kill('SIGHUP')
    } catch {
      // Already gone: the process exited before we got here.
    }
    for (const v of this.viewers.keys()) {
      v.sendControl({ type: 'exit', code: this.exitCode })
      v.close(TerminalClose.ENDED, 'session ended')
    }
    this.viewers.clear()
    this.events.emit('closed', { exitCode: this.exitCode })
  }

  private onData(chunk: Buffer): void {
    const { output, exitCode } = this.scanner ? this.scanner.feed(chunk) : { output: chunk, exitCode: undefined }
    if (output.length) this.output(output)
    if (exitCode !== undefined) {
      // Everything before the sentinel has been read: the command is done.
      this.exitCode = exitCode
      this.dispose()
    }
  }

  private onProcessExit(exitCode: number): void {
    if (this.disposed) return
    this.exitCode = exitCode
    // No sentinel: this exit already follows the last output.
    if (!this.scanner) return this.dispose()
    // Killed without reaching the sentinel (signal): keep what we have, a moment for stragglers.
    const rest = this.scanner.flush()
    if (rest.length) this.output(rest)
    this.exitTimer = setTimeout(() => this.dispose(), Lifetime.EXIT_STRAGGLERS_MS)
  }

  private output(data: Buffer): void {
    this.remember(data)
    this.pending.push(data)
    this.pendingBytes += data.length
    if (this.pendingBytes >= Coalesce.MAX_BYTES) {
      this.flush()
      return
    }
    if (this.cancelFlush) return
    const sinceLast = Date.now() - this.lastFlushAt
    // Streaming (a big frame went out moments ago) is batched; anything else — a keystroke
    // echo, a prompt — goes out on the next tick.
    const streaming = this.lastFlushBytes >= Coalesce.STREAM_FRAME_BYTES && sinceLast < Coalesce.WINDOW_MS
    if (streaming) {
      const timer = setTimeout(() => this.flush(), Coalesce.WINDOW_MS - sinceLast)
      this.cancelFlush = () => clearTimeout(timer)
    } else {
      const immediate = setImmediate(() => this.flush())
      this.cancelFlush = () => clearImmediate(immediate)
    }
  }

  private flush(): void {
    this.cancelFlush?.()
    this.cancelFlush = undefined
    if (this.pendingBytes === 0) return
    const data = Buffer.concat(this.pending, this.pendingBytes)
    this.pending = []
    this.pendingBytes = 0
    this.lastFlushAt = Date.now()
    this.lastFlushBytes = data.length
    for (const [viewer, state] of this.viewers) {
      state.unacked += data.length
      viewer.sendOutput(data)
    }
    this.updatePause()
  }

  private remember(data: Buffer): void {
    this.scrollback.push(data)
    this.scrollbackBytes += data.length
    while (this.scrollbackBytes > Scrollback.BYTES && this.scrollback.length > 1) {
      const dropped = this.scrollback.shift()
      this.scrollbackBytes -= dropped?.length ?? 0
    }
  }

  private updatePause(): void {
    if (this.disposed) return
    let max = 0
    for (const s of this.viewers.values()) max = Math.max(max, s.unacked)
    if (!this.paused && max > FlowControl.HIGH_WATERMARK_BYTES) {
      this.paused = true
      this.process.pause()
      this.stallTimer = setInterval(() => this.dropStalledViewers(), FlowControl.STALLED_VIEWER_MS / 3)
    } else if (this.paused && max < FlowControl.LOW_WATERMARK_BYTES) {
      this.paused = false
      clearInterval(this.stallTimer)
      this.stallTimer = undefined
      this.process.resume()
    }
  }

  /** Forced resume: one tab that stopped reading must not freeze the terminal for the others. */
  private dropStalledViewers(): void {
    const now = Date.now()
    for (const [viewer, state] of this.viewers) {
      if (state.unacked > FlowControl.LOW_WATERMARK_BYTES && now - state.lastAckAt > FlowControl.STALLED_VIEWER_MS) {
        viewer.close(TerminalClose.STALLED, 'viewer stopped acknowledging output')
        this.viewers.delete(viewer)
      }
    }
    this.updatePause()
    // Its socket's later detach finds no viewer: the reap must start here, or the PTY leaks.
    if (this.viewers.size === 0) this.startGrace()
  }
}
