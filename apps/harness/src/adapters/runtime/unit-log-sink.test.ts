import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UnitLogSink } from './unit-log-sink.ts'

const KiB = 1024

/** Connects as systemd does for `StandardOutput=file:` on a socket: a stream we only write to. */
function connectAsSystemd(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path)
    socket.once('error', reject)
    socket.once('connect', () => resolve(socket))
  })
}

const endOf = (socket: Socket) => new Promise<void>((resolve) => socket.end(resolve))

describe('UnitLogSink', () => {
  let home: string
  let sink: UnitLogSink
  const paths = () => ({
    logsDir: join(home, 'logs'),
    agentLog: (name: string) => join(home, 'logs', `${name}.log`),
    unitLogSocket: (name: string) => join(home, 'run', 'unit-logs', `${name}.sock`),
  })

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'hive-unit-log-'))
    sink = new UnitLogSink(paths(), pino({ level: 'silent' }), { maxBytes: 64 * KiB })
  })
  afterEach(() => {
    sink.dispose()
    rmSync(home, { recursive: true, force: true })
  })

  it('is a socket systemd cannot open as a file (ENXIO: it connects instead), in a root-only directory', () => {
    const path = sink.open('alpha')
    expect(path).toBe(paths().unitLogSocket('alpha'))
    expect(statSync(path).isSocket()).toBe(true)
    expect(statSync(join(home, 'run', 'unit-logs')).mode & 0o777).toBe(0o700)
    expect(() => openSync(path, 'a')).toThrow(expect.objectContaining({ code: 'ENXIO' }))
  })

  it('writes stdout and stderr connections into the agent log in whole lines', async () => {
    const path = sink.open('alpha')
    const [out, err] = await Promise.all([connectAsSystemd(path), connectAsSystemd(path)])
    out.write('first line from stdout\nsecond ')
    err.write('a line from stderr\n')
    out.write('half\n')
    await Promise.all([endOf(out), endOf(err)])
    await expect.poll(() => readFileSync(paths().agentLog('alpha'), 'utf8').split('\n').sort()).toEqual(['', 'a line from stderr', 'first line from stdout', 'second half'])
  })

  it('rotates a flood instead of growing one file: the log and one old file stay near the cap', async () => {
    const path = sink.open('alpha')
    const out = await connectAsSystemd(path)
    const line = 'x'.repeat(1023) + '\n'
    for (let i = 0; i < 1024; i++) out.write(line) // 1 MiB through a 64 KiB cap
    await endOf(out)
    const log = paths().agentLog('alpha')
    await expect.poll(() => existsSync(`${log}.1`), { timeout: 10_000 }).toBe(true)
    // A file passes its cap by at most one read from the socket before it rotates.
    for (const file of [log, `${log}.1`]) {
      expect(statSync(file).size).toBeLessThanOrEqual(64 * KiB + 64 * KiB + line.length)
      expect(readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0 && l !== line.slice(0, -1))).toEqual([])
    }
  })

  it('stops listening on close but copies what a connected writer still sends; a new open replaces the old socket', async () => {
    const path = sink.open('alpha')
    const out = await connectAsSystemd(path)
    sink.close('alpha')
    expect(existsSync(path)).toBe(false)
    await expect(connectAsSystemd(path)).rejects.toThrow()
    out.write('after close\n')
    await endOf(out)
    await expect.poll(() => readFileSync(paths().agentLog('alpha'), 'utf8')).toContain('after close')

    sink.open('alpha')
    const again = await connectAsSystemd(path)
    again.write('second start\n')
    await endOf(again)
    await expect.poll(() => readFileSync(paths().agentLog('alpha'), 'utf8')).toContain('second start')
  })
})
