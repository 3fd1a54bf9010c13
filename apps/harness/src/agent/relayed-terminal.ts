import { EventEmitter } from 'node:events'
import { connect } from 'node:net'
import { StringDecoder } from 'node:string_decoder'
import type { Logger } from 'pino'
import { daemonRelayFrameSchema, type AgentRelayFrame, type DaemonRelayFrame, type TerminalRequest } from '@hive/mcp'
import { RelayChannel } from '@hive/mcp/node'
import { launchWithSentinel, type SentinelScanner } from '../adapters/pty/exit-sentinel.ts'
import { Lifetime } from '../adapters/pty/flow-control.ts'
import type { PtyProcess, PtySpawn } from '../adapters/pty/pty-session.ts'

const Relay = {
  /** The daemon answers a hello at once; a connection still unanswered after this is dropped. */
  HANDSHAKE_TIMEOUT_MS: 5_000,
  /** After the daemon went away: SIGHUP first, SIGKILL if the terminal is still there after this. */
  KILL_GRACE_MS: 2_000,
} as const

/** What a terminal runs, in the payload. */
export interface TerminalCommand {
  file: string
  args: string[]
  cwd: string
  env: NodeJS.ProcessEnv
}

interface RelayedTerminalOptions {
  request: TerminalRequest
  /** pty.sock, beside the agent's mcp.sock. */
  socketPath: string
  command: TerminalCommand
  /** Set when the host is full: the daemon hears this instead of a terminal starting. */
  refusal?: string
  spawn: PtySpawn
  log: Logger
}

/**
 * One terminal the payload spawned for the operator, relayed to the daemon over its own pty.sock
 * connection: output out, input in, resize, and the daemon's pause/resume applied to the PTY
 * (as is the socket's own backpressure). Like the daemon's PtySession it runs the command under
 * the exit sentinel, because node-pty can lose the tail of the output here just the same; the
 * `exit` frame then goes after the last output, so the daemon's end needs no sentinel.
 */
export class RelayedTerminal {
  readonly events = new EventEmitter<{ closed: [] }>()
  private readonly channel: RelayChannel<DaemonRelayFrame, AgentRelayFrame>
  /** Set when the PTY starts, with the sentinel its wrapper prints. */
  private scanner: SentinelScanner | undefined
  private readonly input = new StringDecoder('utf8')
  private pty: PtyProcess | undefined
  private ptyRunning = false
  private ptyPaused = false
  private pausedByDaemon = false
  private pausedBySocket = false
  private exitSent = false
  private connectionClosed = false
  private done = false
  private readonly timers = new Set<NodeJS.Timeout>()

  constructor(private readonly opts: RelayedTerminalOptions) {
    const { request, log } = opts
    const socket = connect(opts.socketPath)
    socket.once('error', (err) => log.warn({ err, terminal: request.id }, 'pty relay connection failed'))
    this.channel = new RelayChannel(socket, daemonRelayFrameSchema)
    socket.once('connect', () => this.channel.sendControl({ type: 'hello', id: request.id, token: request.token }))
    this.later(Relay.HANDSHAKE_TIMEOUT_MS, () => {
      if (!this.pty && !this.exitSent) this.channel.destroy('the daemon did not accept the terminal in time')
    })
    this.channel.events.on('control', (frame) => this.onControl(frame))
    this.channel.events.on('data', (bytes) => {
      // A multi-byte character may straddle two input frames: the decoder holds its first half.
      const text = this.input.write(bytes)
      if (text && this.ptyRunning) this.pty?.write(text)
    })
    this.channel.events.on('drain', () => {
      this.pausedBySocket = false
      this.updateFlow()
    })
    this.channel.events.once('close', (violation) => this.onConnectionClosed(violation))
  }

  /** The agent is stopping: end the terminal now. */
  dispose(): void {
    this.channel.destroy()
  }

  private onControl(frame: DaemonRelayFrame): void {
    switch (frame.type) {
      case 'accepted':
        return this.start()
      case 'resize':
        return this.resize(frame.cols, frame.rows)
      case 'pause':
      case 'resume':
        this.pausedByDaemon = frame.type === 'pause'
        return this.updateFlow()
      case 'kill':
        return this.killPty(frame.signal)
    }
  }

  private resize(cols: number, rows: number): void {
    if (!this.ptyRunning) return
    try {
      this.pty?.resize(cols, rows)
    } catch {
      // node-pty throws once the process has exited; its exit event is on its way.
    }
  }

  private start(): void {
    if (this.pty || this.exitSent) return
    const { request, command, refusal, spawn, log } = this.opts
    if (refusal) return this.sendExit({ code: 1, error: refusal })
    const launch = launchWithSentinel([command.file, ...command.args], command.env)
    this.scanner = launch.scanner
    try {
      this.pty = spawn(launch.file, launch.args, {
        name: 'xterm-256color',
        cols: request.cols,
        rows: request.rows,
        cwd: command.cwd,
        env: launch.env,
        // Bytes, not strings: no UTF-8 split hazards at chunk boundaries.
        encoding: null,
      })
    } catch (e) {
      log.warn({ err: e, terminal: request.id }, 'could not start a terminal')
      return this.sendExit({ code: 1, error: `could not start ${command.file}: ${(e as Error).message}` })
    }
    this.ptyRunning = true
    this.channel.sendControl({ type: 'started', pid: this.pty.pid })
    this.pty.onData((data) => this.onOutput(typeof data === 'string' ? Buffer.from(data) : data))
    this.pty.onExit((e) => this.onPtyExit(e))
    log.info({ terminal: request.id, kind: request.kind, pid: this.pty.pid }, 'terminal started')
  }

  private onOutput(chunk: Buffer): void {
    const { output, exitCode } = this.scanner?.feed(chunk) ?? { output: chunk }
    if (output.length && !this.channel.sendData(output)) {
      // The daemon reads slower than the PTY writes: hold the PTY until the socket drains.
      this.pausedBySocket = true
      this.updateFlow()
    }
    if (exitCode !== undefined) {
      // Everything before the sentinel is sent; the wrapper lingers until killed.
      this.sendExit({ code: exitCode })
      this.killPty('SIGHUP')
    }
  }

  private onPtyExit({ exitCode, signal }: { exitCode: number; signal?: number }): void {
    this.ptyRunning = false
    if (this.exitSent || this.connectionClosed) return this.closed()
    // Killed before the sentinel: a moment for output still in flight, then the exit.
    this.later(Lifetime.EXIT_STRAGGLERS_MS, () => {
      const rest = this.scanner?.flush()
      if (rest?.length) this.channel.sendData(rest)
      this.sendExit({ code: exitCode, ...(signal ? { signal } : {}) })
    })
  }

  private sendExit(exit: { code: number; signal?: number; error?: string }): void {
    if (this.exitSent) return
    this.exitSent = true
    this.channel.sendControl({ type: 'exit', ...exit })
    this.channel.end()
  }

  private onConnectionClosed(violation: string | undefined): void {
    this.connectionClosed = true
    if (violation) this.opts.log.warn({ terminal: this.opts.request.id, violation }, 'pty relay connection cut')
    if (!this.ptyRunning) return this.closed()
    // The daemon ended the terminal or went away: no one can see this PTY any more.
    this.killPty('SIGHUP')
    this.later(Relay.KILL_GRACE_MS, () => this.killPty('SIGKILL'))
  }

  private killPty(signal: Extract<DaemonRelayFrame, { type: 'kill' }>['signal']): void {
    if (!this.ptyRunning) return
    try {
      this.pty?.kill(signal)
    } catch {
      // Already gone: it exited before the signal.
    }
  }

  private updateFlow(): void {
    const pause = this.pausedByDaemon || this.pausedBySocket
    if (!this.pty || pause === this.ptyPaused) return
    this.ptyPaused = pause
    if (pause) this.pty.pause()
    else this.pty.resume()
  }

  /** Both ends are done: the PTY exited (or never ran) and the connection is gone. */
  private closed(): void {
    if (this.done || this.ptyRunning || !this.connectionClosed) return
    this.done = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    this.events.emit('closed')
  }

  private later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      run()
    }, ms)
    this.timers.add(timer)
  }
}
