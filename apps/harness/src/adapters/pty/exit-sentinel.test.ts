import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { launchWithSentinel, SENTINEL_NONCE_ENV, SentinelScanner } from './exit-sentinel.ts'

const NONCE = '0123456789abcdef0123456789abcdef'
const sentinel = (code: number, nonce = NONCE) => `\x1b]7777;exit=${nonce};${code}\x07`

/** Feeds `chunks` in order; returns everything passed on and the exit code, if one was found. */
function scan(scanner: SentinelScanner, chunks: Array<string | Buffer>): { output: string; exitCode?: number } {
  const out: Buffer[] = []
  let exitCode: number | undefined
  for (const chunk of chunks) {
    const r = scanner.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
    out.push(r.output)
    exitCode ??= r.exitCode
  }
  return { output: Buffer.concat(out).toString(), ...(exitCode === undefined ? {} : { exitCode }) }
}

describe('SentinelScanner', () => {
  it('passes output through and finds the exit code, even split byte by byte', () => {
    const data = Buffer.from(`hello\r\nworld${sentinel(42)}tail-ignored`)
    const bytes = Array.from({ length: data.length }, (_, i) => data.subarray(i, i + 1))
    expect(scan(new SentinelScanner(NONCE), bytes)).toEqual({ output: 'hello\r\nworld', exitCode: 42 })
  })

  it('does not hold back ordinary escape sequences forever', () => {
    const scanner = new SentinelScanner(NONCE)
    expect(scanner.feed(Buffer.from('a\x1b]')).output.toString()).toBe('a')
    expect(scanner.feed(Buffer.from('0;title\x07b')).output.toString()).toBe('\x1b]0;title\x07b')
    expect(scanner.flush().length).toBe(0)
  })

  it('finds a sentinel split across two chunks at any point', () => {
    const data = Buffer.from('x'.repeat(4000) + '\x1b[0m' + sentinel(3))
    for (let cut = 3990; cut < data.length; cut++) {
      const r = scan(new SentinelScanner(NONCE), [data.subarray(0, cut), data.subarray(cut)])
      expect(r).toEqual({ output: 'x'.repeat(4000) + '\x1b[0m', exitCode: 3 })
    }
  })

  it('passes a sentinel with another nonce, or none, through as output', () => {
    const forged = `${sentinel(0, 'f'.repeat(32))}\x1b]7777;exit=0\x07\x1b]7777;exit=;1\x07`
    expect(scan(new SentinelScanner(NONCE), [forged, 'still-here'])).toEqual({ output: `${forged}still-here` })
  })

  it('passes its own marker through when no exit code and BEL follow it', () => {
    const marker = `\x1b]7777;exit=${NONCE};`
    const notSentinels = [`${marker}x`, `${marker}\x07`, `${marker}1234\x07`, `${marker}12;\x07`]
    for (const text of notSentinels) expect(scan(new SentinelScanner(NONCE), [text, 'after'])).toEqual({ output: `${text}after` })
    // …and the real sentinel after such a near miss still ends the session.
    expect(scan(new SentinelScanner(NONCE), [`${marker}9999`, `${sentinel(5)}`])).toEqual({ output: `${marker}9999`, exitCode: 5 })
  })

  it('holds back at most one sentinel’s length, whatever follows the OSC prefix', () => {
    const scanner = new SentinelScanner(NONCE)
    const chunk = Buffer.alloc(64 * 1024, 'a')
    let passed = scanner.feed(Buffer.from('\x1b]7777;exit=')).output.length
    for (let i = 0; i < 32; i++) passed += scanner.feed(chunk).output.length
    const marker = `\x1b]7777;exit=${NONCE};`
    passed += scanner.feed(Buffer.from(`${marker}12`)).output.length
    expect(passed).toBe('\x1b]7777;exit='.length + 32 * chunk.length)
    expect(scanner.flush().toString()).toBe(`${marker}12`)
  })
})

describe('launchWithSentinel', () => {
  it('runs the command, then prints the sentinel with its nonce, which the command never sees', async () => {
    const launch = launchWithSentinel(['/bin/sh', '-c', `echo "[$${SENTINEL_NONCE_ENV}]"; exit 7`], { PATH: '/usr/bin:/bin' })
    const child = spawn(launch.file, launch.args, { env: launch.env, stdio: ['ignore', 'pipe', 'inherit'] })
    const result = await new Promise<{ output: string; exitCode?: number }>((resolve) => {
      const out: Buffer[] = []
      child.stdout.on('data', (chunk: Buffer) => {
        const r = launch.scanner.feed(chunk)
        out.push(r.output)
        // The wrapper lingers after the sentinel until killed, as PtySession does.
        if (r.exitCode !== undefined) resolve({ output: Buffer.concat(out).toString(), exitCode: r.exitCode })
      })
    })
    child.kill('SIGKILL')
    expect(result).toEqual({ output: '[]\n', exitCode: 7 })
    expect(launch.env[SENTINEL_NONCE_ENV]).toMatch(/^[0-9a-f]{32}$/)
    expect(launchWithSentinel(['true'], {}).env[SENTINEL_NONCE_ENV]).not.toBe(launch.env[SENTINEL_NONCE_ENV])
  })
})
