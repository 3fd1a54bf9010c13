import { EventEmitter } from 'node:events'
import { constants } from 'node:os'
import type { IDisposable } from 'node-pty'
import type { AgentRelayFrame, DaemonRelayFrame } from '@hive/mcp'
import type { RelayChannel } from '@hive/mcp/node'
import type { PtyProcess } from './pty-session.ts'

export const RemoteTerminal = {
  /**
   * How long the payload gets to connect back after a terminal request: the request waits for
   * its parked `control_wait`, which a booting or wedged hive-agent may not have open.
   */
  OPEN_TIMEOUT_MS: 10_000,
  /** Input typed before the payload connected is kept for it up to this many bytes; more is dropped. */
  MAX_EARLY_INPUT_BYTES: 64 * 1024,
  /** Exit code when the relay connection ends without an exit frame (like ssh's 255). */
  LOST_EXIT_CODE: 255,
} as const

/** The daemon's end of one relay connection. */
type AgentRelay = RelayChannel<AgentRelayFrame, DaemonRelayFrame>

type PtyExit = { exitCode: number; signal?: number }

interface RemotePtyEvents {
  data: [Buffer]
  exit: [PtyExit]
}

interface RemotePtyOptions {
  agent: string
  cols: number
  rows: number
  /** The request is off: it timed out, or the session ended before the payload connected. */
  onAbandon: () => void
  timeoutMs?: number
}

/**
 * A terminal spawned by an agent's payload, seen through its pty relay connection: node-pty's
 * `IPty` as far as PtySession uses it. Until the payload connects (bounded by
 * `RemoteTerminal.OPEN_TIMEOUT_MS`) input, size and flow state are kept, then sent. Pause and
 * resume travel to the payload, which pauses its node-pty, so flow control holds end to end.
 */
export class RemotePty implements PtyProcess {
  private readonly events = new EventEmitter<RemotePtyEvents>()
  private channel: AgentRelay | undefined
  private state: 'waiting' | 'open' | 'exited' = 'waiting'
  private earlyInput: Buffer[] = []
  private earlyInputBytes = 0
  private paused = false
  private cols: number
  private rows: number
  private readonly openTimer: NodeJS.Timeout
  /** The process's pid in the container's PID namespace, once it runs (0 before). */
  pid = 0

  constructor(private readonly opts: RemotePtyOptions) {
    this.cols = opts.cols
    this.rows = opts.rows
    this.openTimer = setTimeout(() => {
      this.opts.onAbandon()
      this.fail(`agent ${opts.agent} did not open the terminal; is it running?`, 1)
    }, opts.timeoutMs ?? RemoteTerminal.OPEN_TIMEOUT_MS)
  }

  onData(listener: (data: Buffer) => void): IDisposable {
    this.events.on('data', listener)
    return { dispose: () => void this.events.off('data', listener) }
  }

  onExit(listener: (e: PtyExit) => void): IDisposable {
    this.events.on('exit', listener)
    return { dispose: () => void this.events.off('exit', listener) }
  }

  write(data: string): void {
    const bytes = Buffer.from(data, 'utf8')
    if (this.state === 'open') {
      this.channel?.sendData(bytes)
    } else if (this.state === 'waiting' && this.earlyInputBytes + bytes.length <= RemoteTerminal.MAX_EARLY_INPUT_BYTES) {
      this.earlyInput.push(bytes)
      this.earlyInputBytes += bytes.length
    }
  }

  resize(cols: number, rows: number): void {
    this.cols = cols
    this.rows = rows
    this.send({ type: 'resize', cols, rows })
  }

  pause(): void {
    this.paused = true
    this.send({ type: 'pause' })
  }

  resume(): void {
    this.paused = false
    this.send({ type: 'resume' })
  }

  kill(signal = 'SIGHUP'): void {
    if (this.state === 'waiting') {
      // Nothing runs yet: withdraw the request, so the payload never starts it.
      this.opts.onAbandon()
      this.finish({ exitCode: 0, signal: constants.signals.SIGHUP })
    } else if (this.state === 'open') {
      this.send({ type: 'kill', signal: signal === 'SIGINT' || signal === 'SIGTERM' || signal === 'SIGKILL' ? signal : 'SIGHUP' })
      // The payload also ends its PTY when the connection goes, should the frame be lost.
      this.channel?.end()
    }
  }

  /** The payload connected and proved the request's token (pty-relay.ts): relay from now on. */
  connect(channel: AgentRelay): void {
    if (this.state !== 'waiting') {
      channel.destroy()
      return
    }
    clearTimeout(this.openTimer)
    this.state = 'open'
    this.channel = channel
    channel.events.on('data', (bytes) => this.events.emit('data', bytes))
    channel.events.on('control', (frame) => this.onControl(frame))
    channel.events.once('close', (violation) => this.onClose(violation))
    channel.sendControl({ type: 'accepted' })
    // What changed while the request was on its way.
    this.send({ type: 'resize', cols: this.cols, rows: this.rows })
    if (this.paused) this.send({ type: 'pause' })
    for (const bytes of this.earlyInput) channel.sendData(bytes)
    this.earlyInput = []
    this.earlyInputBytes = 0
  }

  private onControl(frame: AgentRelayFrame): void {
    if (frame.type === 'started') {
      this.pid = frame.pid
    } else if (frame.type === 'exit') {
      if (frame.error) this.notice(frame.error)
      this.finish({ exitCode: frame.code, ...(frame.signal === undefined ? {} : { signal: frame.signal }) })
      this.channel?.end()
    } else {
      this.channel?.destroy('hello after the handshake')
    }
  }

  private onClose(violation: string | undefined): void {
    this.fail(violation ? `terminal relay broke: ${violation}` : `agent ${this.opts.agent} closed the terminal`, RemoteTerminal.LOST_EXIT_CODE)
  }

  private send(frame: DaemonRelayFrame): void {
    if (this.state === 'open') this.channel?.sendControl(frame)
  }

  /** Ends with `message` shown in the terminal, where the operator is looking. */
  private fail(message: string, exitCode: number): void {
    if (this.state === 'exited') return
    this.notice(message)
    this.finish({ exitCode })
  }

  private notice(message: string): void {
    this.events.emit('data', Buffer.from(`\r\n\x1b[1;31m${message}\x1b[0m\r\n`))
  }

  private finish(exit: PtyExit): void {
    if (this.state === 'exited') return
    this.state = 'exited'
    clearTimeout(this.openTimer)
    this.earlyInput = []
    this.events.emit('exit', exit)
  }
}
