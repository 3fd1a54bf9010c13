import { mkdirSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { dirname } from 'node:path'
import type { Logger } from 'pino'
import { RotatingLog, type RotatingLogOptions } from './rotating-log.ts'

interface Sink {
  server: Server
  log: RotatingLog
  connections: Set<Socket>
  logClosed: boolean
}

/**
 * Where an agent unit's stdout and stderr go. systemd appends to a plain file and never rotates
 * it, so a container flooding its output would fill the disk between two checks. Given the path
 * of an AF_UNIX socket as its output file, systemd connects to it instead: the daemon listens
 * there and copies what arrives into the agent's RotatingLog (10 MiB, one old file), as it does
 * for a supervised child's pipes: at most 4 MiB/s is taken from a unit, past that its socket
 * fills and the container's writes block, so a flood costs the daemon neither memory nor more than
 * its share of CPU. The sockets live in a root-only directory no agent reaches.
 */
export class UnitLogSink {
  private readonly sinks = new Map<string, Sink>()

  constructor(
    private readonly paths: { unitLogSocket(name: string): string; agentLog(name: string): string; logsDir: string },
    private readonly log: Logger,
    private readonly logOptions: RotatingLogOptions = {},
  ) {}

  /**
   * Listens for `name`'s unit (replacing an earlier sink of it) and gives the path to hand systemd.
   * Synchronous: a unix socket is bound before listen() returns, so no second open or close can
   * come between; a bind that failed is logged, and the unit's start fails on the missing socket.
   */
  open(name: string): string {
    this.close(name)
    const path = this.paths.unitLogSocket(name)
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    mkdirSync(this.paths.logsDir, { recursive: true })
    rmSync(path, { force: true }) // a previous daemon's
    const sink: Sink = { server: createServer(), log: new RotatingLog(this.paths.agentLog(name), this.log, this.logOptions), connections: new Set(), logClosed: false }
    sink.server.on('connection', (socket) => {
      sink.connections.add(socket)
      socket.on('error', (err) => this.log.debug({ err, agent: name }, 'unit output connection failed'))
      void sink.log.follow(socket).then(() => {
        sink.connections.delete(socket)
        this.closeLogIfDone(sink)
      })
    })
    sink.server.on('error', (err) => this.log.warn({ err, agent: name }, 'unit output socket failed'))
    sink.server.listen(path)
    this.sinks.set(name, sink)
    return path
  }

  /** Stops listening; output already connected is copied until its writer closes it. */
  close(name: string): void {
    const sink = this.sinks.get(name)
    if (!sink) return
    this.sinks.delete(name)
    sink.server.close()
    rmSync(this.paths.unitLogSocket(name), { force: true })
    this.closeLogIfDone(sink)
  }

  /** Daemon shutdown: the units are down (or left to the next daemon, which stops them first). */
  dispose(): void {
    for (const [name, sink] of [...this.sinks]) {
      this.close(name)
      for (const socket of sink.connections) socket.destroy()
    }
  }

  private closeLogIfDone(sink: Sink): void {
    if (sink.server.listening || sink.connections.size > 0 || sink.logClosed) return
    sink.logClosed = true
    sink.log.close()
  }
}
