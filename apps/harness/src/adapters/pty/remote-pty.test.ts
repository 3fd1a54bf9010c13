import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { daemonRelayFrameSchema, type AgentRelayFrame, type DaemonRelayFrame, type TerminalRequest } from '@hive/mcp'
import { RelayChannel } from '@hive/mcp/node'
import type { ServerFrame } from '@hive/mcp/terminal-frames'
import { HivePaths } from '../hive-paths.ts'
import { FlowControl } from './flow-control.ts'
import { PtyRelay } from './pty-relay.ts'
import { PtySession, type PtyViewer } from './pty-session.ts'
import { RemoteTerminal, type RemotePty } from './remote-pty.ts'

const AGENT = 'worker'
const SIZE = { cols: 80, rows: 24 } as const
/** Short, so the timeout tests take a moment, not RemoteTerminal.OPEN_TIMEOUT_MS. */
const TEST_OPEN_TIMEOUT_MS = 150

/** The payload's end, by hand: connects to pty.sock and speaks frames; records what the daemon sends. */
class FakeAgent {
  readonly controls: DaemonRelayFrame[] = []
  private readonly input: Buffer[] = []
  closed = false

  readonly channel: RelayChannel<DaemonRelayFrame, AgentRelayFrame>

  /** `socket` stays reachable for raw bytes that break the protocol. */
  private constructor(readonly socket: Socket) {
    const channel = new RelayChannel<DaemonRelayFrame, AgentRelayFrame>(socket, daemonRelayFrameSchema)
    this.channel = channel
    channel.events.on('control', (frame) => this.controls.push(frame))
    channel.events.on('data', (bytes) => this.input.push(bytes))
    channel.events.once('close', () => (this.closed = true))
  }

  static connect(path: string): Promise<FakeAgent> {
    return new Promise((resolve, reject) => {
      const socket = connect(path)
      socket.once('error', reject)
      socket.once('connect', () => resolve(new FakeAgent(socket)))
    })
  }

  /** Connects and answers `request` (its hello), as the terminal host does. */
  static async answer(path: string, request: TerminalRequest, token = request.token): Promise<FakeAgent> {
    const agent = await FakeAgent.connect(path)
    agent.channel.sendControl({ type: 'hello', id: request.id, token })
    return agent
  }

  get inputText(): string {
    return Buffer.concat(this.input).toString()
  }

  send(frame: AgentRelayFrame): void {
    this.channel.sendControl(frame)
  }

  output(text: string | Buffer): void {
    this.channel.sendData(typeof text === 'string' ? Buffer.from(text) : text)
  }
}

/** What a RemotePty told the session, in order. */
function record(remote: RemotePty) {
  const log: Array<{ data: string } | { exit: number }> = []
  remote.onData((data) => log.push({ data: data.toString() }))
  remote.onExit(({ exitCode }) => log.push({ exit: exitCode }))
  return {
    log,
    get text() {
      return log.map((e) => ('data' in e ? e.data : '')).join('')
    },
    get exit() {
      return log.flatMap((e) => ('exit' in e ? [e.exit] : []))
    },
  }
}

describe('PtyRelay and RemotePty (a fake payload on a real pty.sock)', () => {
  let home: string
  let paths: HivePaths
  let relay: PtyRelay
  let requests: Array<{ agent: string; terminal: TerminalRequest }>
  let withdrawn: string[]
  let remotes: RemotePty[]

  /** A relay listening for AGENT and 'other'; `openTimeoutMs` short only where the test is about it. */
  async function startRelay(openTimeoutMs?: number): Promise<void> {
    relay = new PtyRelay({
      paths,
      log: pino({ level: 'silent' }),
      request: (agent, terminal) => {
        requests.push({ agent, terminal })
        return () => withdrawn.push(terminal.id)
      },
      ...(openTimeoutMs === undefined ? {} : { openTimeoutMs }),
    })
    for (const agent of [AGENT, 'other']) {
      mkdirSync(paths.agentRunDir(agent), { recursive: true })
      await relay.listen(agent)
    }
  }

  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'pty-relay-'))
    paths = new HivePaths(home)
    requests = []
    withdrawn = []
    remotes = []
    await startRelay()
  })

  afterEach(async () => {
    for (const remote of remotes) remote.kill()
    await relay.closeAll()
    rmSync(home, { recursive: true, force: true })
  })

  /** Has the payload asked for a terminal; returns the RemotePty and the request it got. */
  function open(kind: 'shell' | 'claude' = 'shell') {
    const remote = relay.spawner(AGENT, kind)('ignored', [], { ...SIZE }) as RemotePty
    remotes.push(remote)
    const request = requests.at(-1)?.terminal
    if (!request) throw new Error('no terminal request was pushed')
    return { remote, request, seen: record(remote) }
  }

  it('asks the agent through its control queue with a one-time token and the size', () => {
    const { request } = open('claude')
    expect(requests).toEqual([{ agent: AGENT, terminal: { id: request.id, token: request.token, kind: 'claude', ...SIZE } }])
    expect(request.token).toMatch(/^[\w-]{43}$/)
    expect(open().request.token).not.toBe(request.token)
  })

  it('relays a terminal: accepted, output in order, input, resize, pause/resume, and the exit after the last output', async () => {
    const { remote, request, seen } = open()
    const agent = await FakeAgent.answer(paths.agentPtySocket(AGENT), request)
    await vi.waitFor(() => expect(agent.controls).toEqual([{ type: 'accepted' }, { type: 'resize', ...SIZE }]))

    agent.send({ type: 'started', pid: 42 })
    agent.output('hello ')
    agent.output(Buffer.from('wörld', 'utf8'))
    await vi.waitFor(() => expect(seen.text).toBe('hello wörld'))
    expect(remote.pid).toBe(42)

    remote.write('ls\r')
    remote.resize(120, 40)
    remote.pause()
    remote.resume()
    await vi.waitFor(() => expect(agent.controls.length).toBe(5))
    expect(agent.controls.slice(2)).toEqual([{ type: 'resize', cols: 120, rows: 40 }, { type: 'pause' }, { type: 'resume' }])
    expect(agent.inputText).toBe('ls\r')

    agent.output('tail')
    agent.send({ type: 'exit', code: 3 })
    await vi.waitFor(() => expect(seen.exit).toEqual([3]))
    expect(seen.log.slice(-2)).toEqual([{ data: 'tail' }, { exit: 3 }])
    await vi.waitFor(() => expect(agent.closed).toBe(true))
  })

  it("pauses the payload's PTY when a PtySession's viewer falls behind, and resumes it after the acks", async () => {
    const controls: ServerFrame[] = []
    const viewer: PtyViewer = { sendOutput: () => undefined, sendControl: (f) => controls.push(f), close: () => undefined }
    const session = new PtySession({ argv: ['/bin/bash'], cwd: '/', env: {}, ...SIZE, spawn: relay.spawner(AGENT, 'shell'), exitSentinel: false })
    const request = requests.at(-1)?.terminal
    if (!request) throw new Error('no terminal request was pushed')
    session.attach(viewer)
    const agent = await FakeAgent.answer(paths.agentPtySocket(AGENT), request)
    await vi.waitFor(() => expect(agent.controls[0]).toEqual({ type: 'accepted' }))

    agent.output(Buffer.alloc(FlowControl.HIGH_WATERMARK_BYTES + 1, 0x61))
    await vi.waitFor(() => expect(agent.controls.at(-1)).toEqual({ type: 'pause' }))
    expect(session.isPaused).toBe(true)
    session.ack(viewer, FlowControl.HIGH_WATERMARK_BYTES + 1)
    await vi.waitFor(() => expect(agent.controls.at(-1)).toEqual({ type: 'resume' }))

    // No sentinel on this path: the exit frame ends the session at once, with its code.
    agent.send({ type: 'exit', code: 7 })
    await vi.waitFor(() => expect(controls.at(-1)).toEqual({ type: 'exit', code: 7 }))
  })

  it("refuses a wrong token, another agent's socket and data before hello; the right hello still gets in", async () => {
    const { request, seen } = open()
    const forged = await FakeAgent.answer(paths.agentPtySocket(AGENT), request, 'x'.repeat(43))
    const elsewhere = await FakeAgent.answer(paths.agentPtySocket('other'), request)
    const eager = await FakeAgent.connect(paths.agentPtySocket(AGENT))
    eager.output('typed before hello')
    await vi.waitFor(() => expect([forged.closed, elsewhere.closed, eager.closed]).toEqual([true, true, true]))
    for (const refused of [forged, elsewhere, eager]) expect(refused.controls).toEqual([])

    const agent = await FakeAgent.answer(paths.agentPtySocket(AGENT), request)
    await vi.waitFor(() => expect(agent.controls[0]).toEqual({ type: 'accepted' }))
    // One time only: the same hello again is refused.
    const again = await FakeAgent.answer(paths.agentPtySocket(AGENT), request)
    await vi.waitFor(() => expect(again.closed).toBe(true))
    expect(seen.exit).toEqual([])
  })

  it('says so in the terminal when the agent does not connect in time, and withdraws the request', async () => {
    await relay.closeAll()
    await startRelay(TEST_OPEN_TIMEOUT_MS)
    const { request, seen } = open()
    await vi.waitFor(() => expect(seen.exit).toEqual([1]))
    expect(seen.text).toContain(`agent ${AGENT} did not open the terminal; is it running?`)
    expect(withdrawn).toEqual([request.id])
    const late = await FakeAgent.answer(paths.agentPtySocket(AGENT), request)
    await vi.waitFor(() => expect(late.closed).toBe(true))
    expect(late.controls).toEqual([])
  })

  it('withdraws the request of a session ended before the payload connected', async () => {
    const { remote, request, seen } = open()
    remote.kill('SIGHUP')
    expect(withdrawn).toEqual([request.id])
    expect(seen.exit).toHaveLength(1)
    const late = await FakeAgent.answer(paths.agentPtySocket(AGENT), request)
    await vi.waitFor(() => expect(late.closed).toBe(true))
  })

  it('hands input typed before the payload connected over once it has', async () => {
    const { remote, request } = open()
    remote.write('early\r')
    remote.pause()
    const agent = await FakeAgent.answer(paths.agentPtySocket(AGENT), request)
    await vi.waitFor(() => expect(agent.inputText).toBe('early\r'))
    expect(agent.controls).toEqual([{ type: 'accepted' }, { type: 'resize', ...SIZE }, { type: 'pause' }])
  })

  it('ends the terminal with RemoteTerminal.LOST_EXIT_CODE when the connection goes without an exit frame', async () => {
    const { request, seen } = open()
    const agent = await FakeAgent.answer(paths.agentPtySocket(AGENT), request)
    await vi.waitFor(() => expect(agent.controls[0]).toEqual({ type: 'accepted' }))
    agent.channel.destroy()
    await vi.waitFor(() => expect(seen.exit).toEqual([RemoteTerminal.LOST_EXIT_CODE]))
    expect(seen.text).toContain(`agent ${AGENT} closed the terminal`)
  })

  it('cuts a payload that breaks the protocol (oversize frame) and says why', async () => {
    const { request, seen } = open()
    const agent = await FakeAgent.answer(paths.agentPtySocket(AGENT), request)
    await vi.waitFor(() => expect(agent.controls[0]).toEqual({ type: 'accepted' }))
    // A raw header announcing 1 GiB: refused before any of it is buffered.
    const header = Buffer.from([0, 0x40, 0, 0, 0])
    agent.socket.write(header)
    await vi.waitFor(() => expect(seen.exit).toEqual([RemoteTerminal.LOST_EXIT_CODE]))
    expect(seen.text).toContain('terminal relay broke: frame of 1073741824 bytes is over the 65536-byte cap')
  })
})
