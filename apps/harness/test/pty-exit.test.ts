import { describe, expect, it } from 'vitest'
import { PtySession, type PtyViewer } from '../src/adapters/pty/pty-session.ts'

/** Runs one short command in a PtySession and returns everything a viewer received. */
function runOnce(command: string): Promise<{ output: Buffer; exitCode: number | null }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const session = new PtySession({
      argv: ['/bin/bash', '-c', command],
      cwd: '/tmp',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'dumb' },
      cols: 80,
      rows: 24,
    })
    const viewer: PtyViewer = {
      sendOutput: (d) => chunks.push(d),
      sendControl: () => undefined,
      close: () => undefined,
    }
    session.attach(viewer)
    session.events.once('closed', ({ exitCode }) => resolve({ output: Buffer.concat(chunks), exitCode }))
  })
}

/** node-pty 1.1 drops the tail of short-lived output 7–13 % of the time; PtySession must not. */
describe('PTY output at process exit', () => {
  it('never loses the final output of a short command (1000 runs)', async () => {
    // 20 000 bytes of base64 → 27 028 bytes, CRLF line ends through the PTY.
    const expected = Buffer.from(Buffer.alloc(20_000).toString('base64').replace(/.{76}/g, '$&\n') + '\n').toString().replaceAll('\n', '\r\n')
    const short: number[] = []
    for (let i = 0; i < 1000; i++) {
      const { output, exitCode } = await runOnce('head -c 20000 /dev/zero | base64; exit 3')
      if (output.toString() !== expected || exitCode !== 3) short.push(i)
    }
    expect(short).toEqual([])
  }, 600_000)

  it('reports the exit code and a final line without a newline', async () => {
    const { output, exitCode } = await runOnce("printf 'last words'; exit 7")
    expect(output.toString()).toBe('last words')
    expect(exitCode).toBe(7)
  })
})
