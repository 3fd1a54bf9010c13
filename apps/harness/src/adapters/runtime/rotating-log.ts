import { closeSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs'
import type { Readable } from 'node:stream'
import type { Logger } from 'pino'

const LogRotation = {
  /** A harness log past this size (10 MiB) moves to `<file>.1`, replacing the previous one. */
  MAX_BYTES: 10 * 1024 * 1024,
  /** A longer run without a newline is written as it is: a child must not grow the daemon's memory. */
  MAX_LINE_BYTES: 64 * 1024,
  /**
   * Bytes a stream may hand the daemon per second: past it the stream is paused for the rest of
   * the second, its pipe or socket fills, and the container printing blocks on its own writes
   * instead of spending the daemon's CPU on its flood.
   */
  MAX_BYTES_PER_SECOND: 4 * 1024 * 1024,
} as const

const NEWLINE = 0x0a

export interface RotatingLogOptions {
  maxBytes?: number
  maxLineBytes?: number
  maxBytesPerSecond?: number
}

/**
 * An agent's harness log (`logs/<name>.log`), fed by its container's stdout and stderr through
 * the daemon, and rotated to `<name>.log.1` once it passes `maxBytes` (one old file kept). Streams
 * are written in whole lines and rotation happens between writes, so no line is lost or split
 * across the two files; `tailLines` keeps reading the current file.
 */
export class RotatingLog {
  private fd: number
  private size: number
  private readonly maxBytes: number
  private readonly maxLineBytes: number
  private readonly maxBytesPerSecond: number
  private writeFailed = false

  constructor(
    private readonly file: string,
    private readonly log: Logger,
    opts: RotatingLogOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? LogRotation.MAX_BYTES
    this.maxLineBytes = opts.maxLineBytes ?? LogRotation.MAX_LINE_BYTES
    this.maxBytesPerSecond = opts.maxBytesPerSecond ?? LogRotation.MAX_BYTES_PER_SECOND
    this.fd = openSync(file, 'a')
    this.size = fstatSync(this.fd).size
    if (this.size >= this.maxBytes) this.rotate()
  }

  /** Copies `stream` into the log line by line; resolves once it ended (its last partial line written). */
  follow(stream: Readable): Promise<void> {
    let partial: Buffer[] = []
    let partialBytes = 0
    let windowStart = Date.now()
    let windowBytes = 0
    let resume: NodeJS.Timeout | undefined
    stream.on('data', (chunk: Buffer) => {
      const now = Date.now()
      if (now - windowStart >= 1000) {
        windowStart = now
        windowBytes = 0
      }
      windowBytes += chunk.length
      if (windowBytes > this.maxBytesPerSecond && resume === undefined) {
        stream.pause()
        resume = setTimeout(() => {
          resume = undefined
          stream.resume()
        }, windowStart + 1000 - now)
      }
      const end = chunk.lastIndexOf(NEWLINE)
      if (end === -1) {
        partial.push(chunk)
        partialBytes += chunk.length
        if (partialBytes >= this.maxLineBytes) {
          this.append(Buffer.concat(partial))
          partial = []
          partialBytes = 0
        }
        return
      }
      this.append(Buffer.concat([...partial, chunk.subarray(0, end + 1)]))
      const rest = chunk.subarray(end + 1)
      partial = rest.length > 0 ? [rest] : []
      partialBytes = rest.length
    })
    return new Promise((resolve) => {
      stream.once('close', () => {
        clearTimeout(resume)
        if (partialBytes > 0) this.append(Buffer.concat(partial))
        resolve()
      })
    })
  }

  close(): void {
    closeSync(this.fd)
  }

  /** Whole lines (or an over-long piece of one), then a rotation if the file passed its size. */
  private append(data: Buffer): void {
    try {
      for (let off = 0; off < data.length; ) off += writeSync(this.fd, data, off)
      this.size += data.length
      this.writeFailed = false
      if (this.size >= this.maxBytes) this.rotate()
    } catch (err) {
      // A full disk must not take the daemon down with its agents; say it once per failing run.
      if (!this.writeFailed) this.log.error({ err, file: this.file }, 'cannot write an agent log; its output is dropped until this passes')
      this.writeFailed = true
    }
  }

  /** The open descriptor follows the renamed file, so nothing written before the swap is lost. */
  private rotate(): void {
    try {
      renameSync(this.file, `${this.file}.1`)
      const fd = openSync(this.file, 'a')
      closeSync(this.fd)
      this.fd = fd
      this.size = 0
    } catch (err) {
      // Keep appending where we are (a bigger file beats lost lines); the next write tries again.
      this.log.error({ err, file: this.file }, 'cannot rotate an agent log')
    }
  }
}
