import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { RotatingLog } from './rotating-log.ts'

const silent = pino({ level: 'silent' })
const dirs: string[] = []

function logFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hive-log-'))
  dirs.push(dir)
  return join(dir, 'worker.log')
}

/** `count` numbered lines, as one string. */
const lines = (count: number, from = 0) => Array.from({ length: count }, (_, i) => `line-${String(from + i).padStart(4, '0')}\n`).join('')

/** Writes `text` in pieces of `size` bytes that ignore line ends, as a pipe would deliver it. */
async function feed(stream: PassThrough, text: string, size: number): Promise<void> {
  for (let i = 0; i < text.length; i += size) {
    stream.write(text.slice(i, i + size))
    await new Promise((r) => setImmediate(r))
  }
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('RotatingLog', () => {
  it('rotates to <file>.1 past its size without losing or splitting a line', async () => {
    const file = logFile()
    const log = new RotatingLog(file, silent, { maxBytes: 200 })
    const out = new PassThrough()
    const done = log.follow(out)
    const text = lines(30) // 300 bytes: one rotation
    await feed(out, text, 7)
    out.end()
    await done
    log.close()
    const old = readFileSync(`${file}.1`, 'utf8')
    const current = readFileSync(file, 'utf8')
    expect(old.length).toBeGreaterThanOrEqual(200)
    expect(old.endsWith('\n')).toBe(true)
    expect(current.endsWith('\n')).toBe(true)
    expect(old + current).toBe(text)
  })

  it('keeps one old file, each holding whole lines, the newest line last', async () => {
    const file = logFile()
    const log = new RotatingLog(file, silent, { maxBytes: 50 })
    const out = new PassThrough()
    const done = log.follow(out)
    await feed(out, lines(40), 13)
    out.end()
    await done
    log.close()
    expect(existsSync(`${file}.2`)).toBe(false)
    for (const f of [`${file}.1`, file]) expect(readFileSync(f, 'utf8')).toMatch(/^(line-\d{4}\n)*$/)
    expect(readFileSync(file, 'utf8').endsWith(lines(1, 39))).toBe(true)
  })

  it('keeps the lines of two streams whole when their writes interleave', async () => {
    const file = logFile()
    const log = new RotatingLog(file, silent)
    const [out, err] = [new PassThrough(), new PassThrough()]
    const done = Promise.all([log.follow(out), log.follow(err)])
    out.write('stdout begins ')
    err.write('stderr line\n')
    out.write('and ends\n')
    out.end()
    err.end()
    await done
    log.close()
    expect(readFileSync(file, 'utf8')).toBe('stderr line\nstdout begins and ends\n')
  })

  it('writes an over-long run without a newline in pieces, and a last partial line at the end', async () => {
    const file = logFile()
    const log = new RotatingLog(file, silent, { maxLineBytes: 1000 })
    const out = new PassThrough()
    const done = log.follow(out)
    await feed(out, 'x'.repeat(2500), 500)
    // Not held in the daemon's memory until a newline that may never come.
    expect(statSync(file).size).toBeGreaterThanOrEqual(2000)
    out.end('tail')
    await done
    log.close()
    expect(readFileSync(file, 'utf8')).toBe(`${'x'.repeat(2500)}tail`)
  })

  it('rotates a file that is already past its size when opened (a previous daemon wrote it)', () => {
    const file = logFile()
    writeFileSync(file, lines(30))
    new RotatingLog(file, silent, { maxBytes: 200 }).close()
    expect(readFileSync(`${file}.1`, 'utf8')).toBe(lines(30))
    expect(readFileSync(file, 'utf8')).toBe('')
  })

  it('takes at most its bytes per second from a stream, pausing it (the writer blocks), and loses nothing', async () => {
    const file = logFile()
    const log = new RotatingLog(file, silent, { maxBytesPerSecond: 8 * 1024 })
    const out = new PassThrough()
    const done = log.follow(out)
    const text = lines(2000) // 20 000 bytes: three windows' worth
    const started = Date.now()
    await feed(out, text, 1000)
    expect(out.isPaused()).toBe(true)
    expect(statSync(file).size).toBeLessThanOrEqual(9 * 1024)
    out.end()
    await done
    log.close()
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
    expect(readFileSync(file, 'utf8')).toBe(text)
  })
})
