import { EventEmitter } from 'node:events'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Shutdown, StopSignals, shutdownStep } from './shutdown.ts'

const silent = pino({ level: 'silent' })

/** A stand-in for the daemon's process: signals are emitted by the test, exits recorded. */
function fakeHost() {
  const signals = new EventEmitter()
  const exits: number[] = []
  return { signals, exits, host: { on: (signal: NodeJS.Signals, listener: () => void) => signals.on(signal, listener), exit: (code: number) => void exits.push(code) } }
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('StopSignals', () => {
  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('asks for an orderly shutdown on the first %s, without exiting', async (signal) => {
    const { signals, exits, host } = fakeHost()
    const stop = new StopSignals(silent, host)
    signals.emit(signal)
    expect(await stop.requested).toBe(signal)
    expect(exits).toEqual([])
  })

  it('exits at once on a second signal, with the status of a death by that signal', async () => {
    const { signals, exits, host } = fakeHost()
    const stop = new StopSignals(silent, host)
    signals.emit('SIGTERM')
    await stop.requested
    signals.emit('SIGINT')
    expect(exits).toEqual([130])
  })

  it('exits when the shutdown outlives its deadline, not before', async () => {
    const { signals, exits, host } = fakeHost()
    const stop = new StopSignals(silent, host)
    signals.emit('SIGTERM')
    await stop.requested
    vi.advanceTimersByTime(Shutdown.DEADLINE_MS - 1)
    expect(exits).toEqual([])
    vi.advanceTimersByTime(1)
    expect(exits).toEqual([143])
  })
})

describe('shutdownStep', () => {
  it('waits for a step that finishes', async () => {
    let finished = false
    const step = shutdownStep(silent, 'quick', Promise.resolve().then(() => (finished = true)))
    await step
    expect(finished).toBe(true)
  })

  it('goes on after a step that hangs, once its time is up', async () => {
    const warnings: unknown[] = []
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) })
    let done = false
    const step = shutdownStep(log, 'http', new Promise(() => {}), 500).then(() => (done = true))
    await vi.advanceTimersByTimeAsync(499)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await step
    expect(warnings).toMatchObject([{ step: 'http', ms: 500, msg: 'shutdown step did not finish in time; going on' }])
  })

  it('goes on after a step that fails, and logs why', async () => {
    const errors: unknown[] = []
    const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line)) })
    await shutdownStep(log, 'database', Promise.reject(new Error('disk gone')))
    expect(errors).toMatchObject([{ step: 'database', err: { message: 'disk gone' }, msg: 'shutdown step failed' }])
  })
})
