import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from 'node:net'
import { createInterface } from 'node:readline'
import { HiveError, Limits } from '@hive/mcp'
import { claudeTestEnv, startFakeAnthropic, type FakeAnthropic } from '@hive/testkit'
import { HiveDaemon } from './support/hive-daemon.ts'
import { useHive } from './support/hive-fixture.ts'
import { adminSocketPath, agentSocketPath, connectAdmin, connectAgent } from './support/sockets.ts'
import { readHiveDb } from './support/hive-db.ts'

/** Row counts of every table that bad input must leave untouched. */
function counts(home: string): Record<string, number> {
  return readHiveDb(home, (db) => {
    const out: Record<string, number> = {}
    // Turn and AgentEvent move on their own: the manager runs turns for the spawn/kill helper events.
    for (const t of ['Agent', 'AgentSetting', 'Message', 'OperatorQuestion', 'Approval']) {
      out[t] = (db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n
    }
    return out
  })
}

/** Writes raw lines to a socket and returns the parsed answer lines. */
async function rawExchange(path: string, lines: string[], expected: number): Promise<unknown[]> {
  const socket = connect(path)
  const answers: unknown[] = []
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: socket }).on('line', (l) => {
      answers.push(JSON.parse(l))
      if (answers.length === expected) resolve()
    })
    socket.once('error', reject)
    socket.write(lines.join('\n') + '\n')
  })
  socket.destroy()
  return answers
}

describe('bad input is refused clearly and changes nothing', () => {
  const { daemon } = useHive({ agents: ['worker'], stopped: true })
  let before: Record<string, number>

  // Taken after the spawn/kill helper events have settled into the tables.
  beforeAll(() => {
    before = counts(daemon.home)
  })

  it.each([
    ['../x', 'must match'],
    ['Operator', 'must match'],
    ['a'.repeat(40), 'longer than 31'],
    ['', 'empty'],
    ['operator', 'reserved'],
  ])('spawn %j is refused', async (name, fragment) => {
    const r = await daemon.cli('spawn', name)
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain(fragment)
    expect(r.stderr).toContain('args.name')
    expect(r.stderr).not.toMatch(/\n\s+at /) // no stack trace
  })

  // No AgentSetting row appears for any of them (the last test counts).
  it.each(['bad model!', 'sonnet; rm -rf /', '$(id)', 'opus\nhaiku'])('model %j is refused naming the field', async (model) => {
    const r = await daemon.cli('model', 'worker', model)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('args.model')
    expect(r.stderr).toContain('model name must start with a letter or digit and contain only letters, digits')
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('refuses an unknown recipient, an oversize and an empty body', async () => {
    const unknown = await daemon.cli('send', 'nobody', 'hello')
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toContain('unknown recipient "nobody"')

    const big = await daemon.cli('send', 'worker', 'x'.repeat(Limits.MAX_BODY_BYTES + 1))
    expect(big.code).not.toBe(0)
    expect(big.stderr).toContain(`larger than ${Limits.MAX_BODY_BYTES} bytes`)

    const empty = await daemon.cli('send', 'worker', '')
    expect(empty.code).not.toBe(0)
    expect(empty.stderr).toContain('body is empty')
  })

  it('refuses unknown verbs on the CLI and on the socket', async () => {
    const r = await daemon.cli('frobnicate')
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain("unknown command 'frobnicate'")

    const admin = await connectAdmin(daemon.home)
    await expect(admin.request('frobnicate')).rejects.toThrow('unknown verb "frobnicate"')
    admin.close()
  })

  it('answers malformed lines on both kinds of socket and keeps serving', async () => {
    for (const path of [adminSocketPath(daemon.home), agentSocketPath(daemon.home, 'worker')]) {
      const answers = await rawExchange(
        path,
        ['{not json', '[1,2]', '{"id":"x","op":"status"}', '{"id":7,"op":"send","args":{"to":"../x","body":"hi"}}', '{"id":8,"op":"status"}'],
        5,
      )
      const errors = answers.filter((a) => (a as { ok: boolean }).ok === false) as { id: number | null; error: { code: string; message: string } }[]
      expect(errors).toHaveLength(4)
      expect(errors[0]?.error.message).toBe('malformed JSON line')
      expect(errors.find((e) => e.id === 7)?.error.message).toContain('args.to')
      expect(answers.find((a) => (a as { id: number }).id === 8)).toMatchObject({ ok: true })
    }
    // An oversize line is dropped with an error, and the same connection still works.
    const client = await connectAdmin(daemon.home)
    const answers = await rawExchange(adminSocketPath(daemon.home), ['{"pad":"' + 'y'.repeat(Limits.MAX_LINE_BYTES + 10) + '"}', '{"id":1,"op":"status"}'], 2)
    expect(answers[0]).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
    expect(answers[1]).toMatchObject({ id: 1, ok: true })
    expect(await client.call('status')).toMatchObject({ agents: 2 })
    client.close()
  })

  it('does not let a sub-agent socket call manager tools', async () => {
    const worker = await connectAgent(daemon.home, 'worker')
    for (const [op, args] of [
      ['kill', { name: 'manager' }],
      ['start', { name: 'worker' }],
      ['ask_operator', { question: 'may I?' }],
      ['request_spawn', { name: 'evil' }],
    ] as const) {
      const error = await worker.request(op, args).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(HiveError)
      expect((error as HiveError).code).toBe('FORBIDDEN')
      expect((error as HiveError).message).toContain('manager tool')
    }
    expect(await worker.call('whoami')).toEqual({ name: 'worker', role: 'agent' })
    worker.close()
  })

  it('wrote no rows for any of it', async () => {
    expect(counts(daemon.home)).toEqual(before)
    expect((await daemon.cliJson<{ name: string }[]>('list', '--json')).map((a) => a.name).sort()).toEqual(['manager', 'worker'])
  })
})

describe('socket paths over the unix limit are refused, not truncated', () => {
  // A 70-byte home: the admin socket and the manager's fit, agent names of at most 11 characters do
  // (run/agents/<name>/mcp-host.sock adds 26 bytes to the name; the limit is 107).
  const parent = mkdtempSync(join(tmpdir(), 'hive-test-'))
  const home = join(parent, 'h'.repeat(70 - parent.length - 1))
  const daemon = new HiveDaemon(home, {})
  let fake: FakeAnthropic

  beforeAll(async () => {
    fake = await startFakeAnthropic({ scripts: [] })
    daemon.setEnv(claudeTestEnv(fake.url))
    await daemon.start()
  })
  afterAll(async () => {
    await daemon.stop()
    await fake.close()
    rmSync(parent, { recursive: true, force: true })
  })

  it('refuses a spawn whose sockets would not fit, naming the path and the limit, and creates nothing', async () => {
    const name = 'twelve-chars'
    const r = await daemon.cli('spawn', name)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`socket path ${join(home, 'run', 'agents', name, 'mcp-host.sock')} would be 108 bytes`)
    expect(r.stderr).toContain('over the 107-byte limit of a unix socket path; use a name of at most 11 characters, or a shorter HIVE_HOME')
    for (const dir of [join(home, 'agents', name), join(home, 'applied', name), join(home, 'run', 'agents', name)]) expect(existsSync(dir)).toBe(false)
    expect((await daemon.cliJson<{ name: string }[]>('list', '--json', '--all')).map((a) => a.name)).toEqual(['manager'])
  })

  it('spawns a name one character shorter with every socket under its full name', async () => {
    const name = 'eleven-char'
    const r = await daemon.cli('spawn', name)
    expect(r.code, r.stderr).toBe(0)
    for (const socket of ['mcp.sock', 'gateway.sock', 'pty.sock']) expect(existsSync(join(home, 'run', 'agents', name, socket))).toBe(true)
    // The harness's own, once it is up (process runtime: in the same run dir).
    await expect.poll(() => existsSync(join(home, 'run', 'agents', name, 'mcp-host.sock')), { timeout: 30_000 }).toBe(true)
    expect(await daemon.cli('destroy', name, '--purge')).toMatchObject({ code: 0 })
  })

  it('refuses to start a daemon whose own sockets would not fit, before creating its home', async () => {
    const longHome = join(parent, 'x'.repeat(107 - parent.length))
    const refused = new HiveDaemon(longHome, { ...claudeTestEnv(fake.url), HIVE_PORT: '0' })
    const r = await refused.cli('serve')
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`hive serve: HIVE_HOME ${longHome} is too long: socket path ${longHome}/run/agents/manager/mcp-host.sock would be 141 bytes, over the 107-byte limit of a unix socket path; use a HIVE_HOME of at most 74 bytes\n`)
    expect(existsSync(longHome)).toBe(false)
  })
})
