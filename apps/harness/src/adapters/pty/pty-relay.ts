import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { chmod, rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import type { Logger } from 'pino'
import { PtyRelayLimits, agentRelayFrameSchema, type TerminalRequest } from '@hive/mcp'
import { RelayChannel } from '@hive/mcp/node'
import type { TerminalKind } from '@hive/mcp/terminal-frames'
import type { HivePaths } from '../hive-paths.ts'
import type { PtySpawn } from './pty-session.ts'
import { RemotePty } from './remote-pty.ts'

const Handshake = {
  /** A connection that has not said hello by then is cut: it holds one of few connection slots. */
  TIMEOUT_MS: 5_000,
  /** Random bytes of a terminal's one-time token. */
  TOKEN_BYTES: 32,
} as const

interface PendingTerminal {
  agent: string
  token: Buffer
  remote: RemotePty
  /** Takes the request back out of the control queue, if the payload has not picked it up. */
  withdraw: () => void
}

interface PtyRelayOptions {
  paths: HivePaths
  log: Logger
  /** Hands `agent`'s turn loop a terminal request (its parked `control_wait`); returns its withdrawal. */
  request: (agent: string, terminal: TerminalRequest) => () => void
  openTimeoutMs?: number
}

/**
 * The daemon's end of the pty relay (pty-relay-frames.ts): one `pty.sock` per agent, where its
 * payload connects back with each terminal it spawned. The socket is the identity, as with
 * mcp.sock: a connection is matched only to a request made for that same agent, by the
 * request's one-time token.
 */
export class PtyRelay {
  private readonly servers = new Map<string, { server: Server; sockets: Set<Socket> }>()
  private readonly pending = new Map<string, PendingTerminal>()

  constructor(private readonly opts: PtyRelayOptions) {}

  /** Opens `run/agents/<agent>/pty.sock`, 0600 like mcp.sock until the runtime hands both to the agent. */
  async listen(agent: string): Promise<void> {
    if (this.servers.has(agent)) return
    const path = this.opts.paths.agentPtySocket(agent)
    // A socket file left by a crashed daemon would make listen() fail with EADDRINUSE.
    await rm(path, { force: true })
    const sockets = new Set<Socket>()
    let handshakes = 0
    const server = createServer((socket) => {
      // Connections that have not said hello yet are bounded; the others each answer a request.
      if (handshakes >= PtyRelayLimits.MAX_TERMINALS_PER_AGENT) return void socket.destroy()
      handshakes++
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
      this.accept(agent, socket, () => handshakes--)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(path, () => {
        server.off('error', reject)
        resolve()
      })
    })
    await chmod(path, 0o600)
    this.servers.set(agent, { server, sockets })
  }

  async close(agent: string): Promise<void> {
    const entry = this.servers.get(agent)
    if (!entry) return
    this.servers.delete(agent)
    for (const socket of entry.sockets) socket.destroy()
    await new Promise<void>((resolve) => entry.server.close(() => resolve()))
    await rm(this.opts.paths.agentPtySocket(agent), { force: true })
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((agent) => this.close(agent)))
  }

  /** A `spawn` for PtySession that has `agent`'s payload start a terminal of `kind`. */
  spawner(agent: string, kind: TerminalKind): PtySpawn {
    return (_file, _args, { cols = 80, rows = 24 }) => {
      const id = randomUUID()
      const token = randomBytes(Handshake.TOKEN_BYTES).toString('base64url')
      const remote = new RemotePty({
        agent,
        cols,
        rows,
        onAbandon: () => {
          this.pending.get(id)?.withdraw()
          this.pending.delete(id)
        },
        ...(this.opts.openTimeoutMs === undefined ? {} : { timeoutMs: this.opts.openTimeoutMs }),
      })
      // The payload answers through the event loop at the earliest: registered in time.
      const withdraw = this.opts.request(agent, { id, token, kind, cols, rows })
      this.pending.set(id, { agent, token: Buffer.from(token), remote, withdraw })
      return remote
    }
  }

  private accept(agent: string, socket: Socket, handshakeOver: () => void): void {
    const channel = new RelayChannel(socket, agentRelayFrameSchema)
    const refuse = (reason: string) => {
      this.opts.log.warn({ agent, reason }, 'refused a pty relay connection')
      channel.destroy(reason)
    }
    const timer = setTimeout(() => refuse('no hello in time'), Handshake.TIMEOUT_MS)
    let waiting = true
    const stopWaiting = () => {
      if (!waiting) return
      waiting = false
      handshakeOver()
      clearTimeout(timer)
      channel.events.off('close', stopWaiting)
      channel.events.off('data', dataFirst)
    }
    const dataFirst = () => {
      stopWaiting()
      refuse('terminal data before hello')
    }
    channel.events.once('close', stopWaiting)
    channel.events.once('data', dataFirst)
    channel.events.once('control', (frame) => {
      stopWaiting()
      if (frame.type !== 'hello') return refuse(`first frame was ${frame.type}, not hello`)
      const pending = this.pending.get(frame.id)
      // Only a request made for this agent, on its own socket, with the token it was given.
      if (!pending || pending.agent !== agent || !sameToken(pending.token, frame.token)) return refuse('unknown terminal or wrong token')
      this.pending.delete(frame.id)
      pending.remote.connect(channel)
    })
  }
}

function sameToken(expected: Buffer, given: string): boolean {
  const bytes = Buffer.from(given)
  return bytes.length === expected.length && timingSafeEqual(bytes, expected)
}
