import { createHash } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { useHive } from './support/hive-fixture.ts'
import { TerminalClient } from './support/terminal-client.ts'

const PROMPT = 'PTY-READY> '

/** Terminals through the real daemon: websocket ↔ node-pty, flow control, ^C, errors. */
describe('terminals', () => {
  const { daemon } = useHive()
  let headers: Record<string, string>
  const url = (path: string) => daemon.origin.replace('http', 'ws') + path

  beforeAll(async () => {
    const res = await fetch(daemon.loginUrl, { redirect: 'manual' })
    headers = { Cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '', Origin: daemon.origin }
  })

  async function shell(ackDelayMs = 0): Promise<TerminalClient> {
    const t = await TerminalClient.open(url('/pty/manager?kind=shell&cols=100&rows=30'), headers, ackDelayMs)
    // A shared session replays its scrollback first; our prompt marker comes after it.
    await new Promise((r) => setTimeout(r, 200))
    const at = t.offset
    t.type(`PS1='${PROMPT}'; stty -echo\r`)
    await t.waitFor(PROMPT, at)
    return t
  }

  it('runs commands in the agent state dir and follows resizes', async () => {
    const t = await shell()
    await t.waitFor('UNISOLATED: process runtime') // printed first, before the shell's own output
    let at = t.offset
    t.type('echo hive-$((6*7)); pwd\r')
    await t.waitFor('hive-42', at)
    await t.waitFor(join(daemon.home, 'agents', 'manager', 'state'), at)
    at = t.offset
    t.resize(123, 41)
    t.type('stty size\r')
    await t.waitFor('41 123', at)
    t.close()
  })

  it('carries a 50 MB flood byte-exactly to a slow reader with bounded in-flight output, and ^C stops it', async () => {
    const t = await shell(3) // acks each frame 3 ms late
    const file = join(daemon.home, 'flood.bin')
    let at = t.offset
    t.type(`stty -onlcr; head -c 50000000 /dev/urandom > ${file}; printf 'FLOOD-BEGIN\\n'; base64 ${file}; printf 'FLOOD-END\\n'\r`)
    const begin = await t.waitFor('FLOOD-BEGIN\n', at, 60_000)
    const end = await t.waitFor('FLOOD-END\n', begin, 170_000)
    const got = t.bytes.subarray(begin, end - 'FLOOD-END\n'.length)
    const expected = readFileSync(file).toString('base64').replace(/.{76}/g, '$&\n')
    const want = expected.endsWith('\n') ? expected : `${expected}\n`
    expect(got.length).toBe(Buffer.byteLength(want))
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(want).digest('hex'))
    // Flow control: never much more than the 1 MiB high watermark un-acked.
    expect(t.maxInFlight).toBeLessThan(1024 * 1024 + 3 * 64 * 1024)
    rmSync(file)

    // ^C in the middle of an endless flood brings the prompt back.
    at = t.offset
    t.type('yes hive-flood\r')
    await t.waitFor('hive-flood\nhive-flood', at)
    const interrupted = t.offset
    t.type('\x03')
    await t.waitFor(PROMPT, interrupted, 10_000)
    t.close()
  }, 240_000)

  it('shares one PTY between viewers and replays the scrollback on reconnect', async () => {
    const a = await shell()
    const at = a.offset
    a.type('echo shared-$((2+3))\r')
    await a.waitFor('shared-5', at)
    a.close()
    const b = await TerminalClient.open(url('/pty/manager?kind=shell'), headers)
    await b.waitFor('shared-5') // from the scrollback: same session, survived the closed tab
    b.close()
  })

  it('answers an unknown agent or kind with a clear error', async () => {
    const ghost = await TerminalClient.open(url('/pty/ghost'), headers)
    await new Promise((r) => ghost.ws.once('close', r))
    expect(ghost.controls[0]).toEqual({ type: 'error', message: 'unknown agent "ghost": no such agent' })
    expect(ghost.closed?.code).toBe(4004)
    const bad = await TerminalClient.open(url('/pty/manager?kind=root'), headers)
    await new Promise((r) => bad.ws.once('close', r))
    expect(String(bad.controls[0]?.message)).toContain('kind')
  })

})
