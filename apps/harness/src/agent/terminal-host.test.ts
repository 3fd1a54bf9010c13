import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { IPtyForkOptions } from 'node-pty'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { PtyRelayLimits } from '@hive/mcp'
import type { ServerFrame } from '@hive/mcp/terminal-frames'
import { HivePaths } from '../adapters/hive-paths.ts'
import { PtyRelay } from '../adapters/pty/pty-relay.ts'
import { PtySession, type PtyProcess, type PtyViewer } from '../adapters/pty/pty-session.ts'
import type { RemotePty } from '../adapters/pty/remote-pty.ts'
import { TerminalHost } from './terminal-host.ts'

const AGENT = 'worker'
const SIZE = { cols: 100, rows: 30 } as const

/** A PTY in the payload that the test drives: no process behind it. */
class FakePty implements PtyProcess {
  private static nextPid = 100
  readonly pid = FakePty.nextPid++
  readonly flow: Array<'pause' | 'resume'> = []
  readonly kills: Array<string | undefined> = []
  readonly writes: string[] = []
  private dataListener: ((data: Buffer) => void) | undefined
  private exitListener: ((e: { exitCode: number }) => void) | undefined

  constructor(
    readonly file: string,
    readonly args: string[],
    readonly options: IPtyForkOptions,
  ) {}

  onData(listener: (data: Buffer) => void) {
    this.dataListener = listener
    return { dispose: () => (this.dataListener = undefined) }
  }
  onExit(listener: (e: { exitCode: number }) => void) {
    this.exitListener = listener
    return { dispose: () => (this.exitListener = undefined) }
  }
  emit(text: string): void {
    this.dataListener?.(Buffer.from(text))
  }
  exit(exitCode: number): void {
    this.exitListener?.({ exitCode })
  }
  write(data: string): void {
    this.writes.push(data)
  }
  resize(): void {}
  pause(): void {
    this.flow.push('pause')
  }
  resume(): void {
    this.flow.push('resume')
  }
  kill(signal?: string): void {
    this.kills.push(signal)
    // The wrapper is gone: as node-pty would report it.
    setImmediate(() => this.exit(0))
  }
}

class RecordingViewer implements PtyViewer {
  readonly controls: ServerFrame[] = []
  private readonly output: Buffer[] = []
  sendOutput(data: Buffer): void {
    this.output.push(data)
  }
  sendControl(frame: ServerFrame): void {
    this.controls.push(frame)
  }
  close(): void {}
  get text(): string {
    return Buffer.concat(this.output).toString()
  }
}

/**
 * The payload's terminal host against the daemon's real pty relay, on a real unix socket (no
 * container): the request goes straight to the host, as a parked `control_wait` hands it over.
 */
describe('TerminalHost (the payload end of the pty relay)', () => {
  let home: string
  let paths: HivePaths
  let relay: PtyRelay
  let host: TerminalHost
  let spawned: FakePty[]

  function start(spawn: 'node-pty' | 'fake') {
    const stateDir = join(home, 'state')
    mkdirSync(stateDir, { recursive: true })
    host = new TerminalHost({
      socketPath: paths.agentPtySocket(AGENT),
      stateDir,
      claudeBin: '/bin/false',
      env: { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', ANTHROPIC_API_KEY: 'kept-from-shells' },
      log: pino({ level: 'silent' }),
      ...(spawn === 'fake'
        ? {
            spawn: (file: string, args: string[], options: IPtyForkOptions) => {
              const fake = new FakePty(file, args, options)
              spawned.push(fake)
              return fake
            },
          }
        : {}),
    })
    return stateDir
  }

  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'terminal-host-'))
    paths = new HivePaths(home)
    spawned = []
    relay = new PtyRelay({
      paths,
      log: pino({ level: 'silent' }),
      request: (_agent, terminal) => {
        host.open(terminal)
        return () => undefined
      },
    })
    mkdirSync(paths.agentRunDir(AGENT), { recursive: true })
    await relay.listen(AGENT)
  })

  afterEach(async () => {
    host.dispose()
    await relay.closeAll()
    rmSync(home, { recursive: true, force: true })
  })

  it('runs a login shell in the state dir through a real node-pty, with its exit code after all of its output', async () => {
    const stateDir = start('node-pty')
    const viewer = new RecordingViewer()
    const session = new PtySession({ argv: ['/bin/bash', '--login'], cwd: '/', env: {}, ...SIZE, spawn: relay.spawner(AGENT, 'shell'), exitSentinel: false })
    session.attach(viewer)
    session.write('stty size; echo "R$((6*7))R KEY=${ANTHROPIC_API_KEY:-none}"; pwd; exit 3\r')
    await vi.waitFor(() => expect(viewer.controls.at(-1)).toEqual({ type: 'exit', code: 3 }), { timeout: 10_000 })
    expect(viewer.text).toContain(`${SIZE.rows} ${SIZE.cols}`)
    expect(viewer.text).toContain('R42R KEY=none') // a shell gets none of the payload's model credentials
    expect(viewer.text).toContain(stateDir)
    expect(viewer.text).not.toContain('7777;exit') // the payload's exit sentinel stays in the payload
    expect(session.pid).toBeGreaterThan(0)
  })

  it('applies the daemon pause and resume to its PTY, and ends the PTY when the daemon ends the terminal', async () => {
    start('fake')
    const remote = relay.spawner(AGENT, 'claude')('ignored', [], { ...SIZE }) as RemotePty
    await vi.waitFor(() => expect(spawned).toHaveLength(1))
    const fake = spawned[0]
    if (!fake) throw new Error('no PTY spawned')
    expect(fake.args.slice(-2)).toEqual(['/bin/false', '--continue'])
    expect(fake.options).toMatchObject({ ...SIZE, cwd: join(home, 'state') })
    expect(fake.options.env).toMatchObject({ ANTHROPIC_API_KEY: 'kept-from-shells', TERM: 'xterm-256color' }) // claude gets the payload's env
    await vi.waitFor(() => expect(remote.pid).toBe(fake.pid))

    remote.pause()
    await vi.waitFor(() => expect(fake.flow).toEqual(['pause']))
    remote.resume()
    await vi.waitFor(() => expect(fake.flow).toEqual(['pause', 'resume']))
    remote.write('é')
    await vi.waitFor(() => expect(fake.writes).toEqual(['é']))

    remote.kill('SIGHUP')
    await vi.waitFor(() => expect(fake.kills[0]).toBe('SIGHUP'))
  })

  it(`refuses terminals beyond PtyRelayLimits.MAX_TERMINALS_PER_AGENT (${PtyRelayLimits.MAX_TERMINALS_PER_AGENT}) with a message the operator sees`, async () => {
    start('fake')
    const open = Array.from({ length: PtyRelayLimits.MAX_TERMINALS_PER_AGENT }, () => relay.spawner(AGENT, 'shell')('ignored', [], { ...SIZE }) as RemotePty)
    await vi.waitFor(() => expect(open.every((r) => r.pid > 0)).toBe(true))

    const extra = relay.spawner(AGENT, 'shell')('ignored', [], { ...SIZE }) as RemotePty
    const seen: string[] = []
    extra.onData((d) => seen.push(d.toString()))
    const exit = new Promise<number>((resolve) => extra.onExit(({ exitCode }) => resolve(exitCode)))
    expect(await exit).toBe(1)
    expect(seen.join('')).toContain(`agent already has ${PtyRelayLimits.MAX_TERMINALS_PER_AGENT} terminals open (at most ${PtyRelayLimits.MAX_TERMINALS_PER_AGENT})`)
    expect(spawned).toHaveLength(PtyRelayLimits.MAX_TERMINALS_PER_AGENT)
  })
})
