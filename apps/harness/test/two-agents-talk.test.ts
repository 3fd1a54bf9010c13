import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { mcpToolNames } from '@hive/mcp'
import { onTurnContaining } from '@hive/testkit'
import { useHive } from './support/hive-fixture.ts'

const BUILTINS = ['Edit', 'Glob', 'Grep', 'Read', 'Write']
const sorted = (xs: string[]) => [...xs].sort()

interface Inbox {
  unread: number
  messages: { id: number; from: string; body: string; read: boolean }[]
}

/**
 * Acceptance: the operator writes to the manager; the manager's real claude turn messages worker
 * through the MCP tool; worker wakes and reports to the operator. Only the model is scripted.
 */
describe('two agents talk through the real claude CLI', () => {
  const hive = useHive({
    agents: ['worker'],
    scripts: [
      onTurnContaining('manager', 'get a status report from worker', [
        { toolUse: { name: 'mcp__hyperhive__send', input: { to: 'worker', body: 'Report your status to the operator.' } } },
        { text: 'Asked worker to report.' },
      ]),
      onTurnContaining('worker', 'Report your status to the operator.', [
        { toolUse: { name: 'mcp__hyperhive__send', input: { to: 'operator', body: 'worker status: all green' } } },
        { text: 'Reported.' },
      ]),
    ],
  })
  const { daemon } = hive

  it('delivers operator → manager → worker → operator', async () => {
    const sent = await daemon.cli('send', 'manager', 'hello manager: get a status report from worker')
    expect(sent.code, sent.stderr).toBe(0)

    await expect
      .poll(async () => (await daemon.cliJson<Inbox>('inbox', '--json')).messages, { timeout: 120_000, interval: 250 })
      .toContainEqual(expect.objectContaining({ from: 'worker', body: 'worker status: all green', read: false }))

    // Both turns ran to their scripted end: the tool results came back to the model.
    const managerEnd = await hive.fake.waitForRequest((r) => r.script === 'manager' && r.answer === 'step 1')
    expect(JSON.stringify(managerEnd.body)).toContain('sent to worker (1 message)')
    const workerEnd = await hive.fake.waitForRequest((r) => r.script === 'worker' && r.answer === 'step 1')
    expect(JSON.stringify(workerEnd.body)).toContain('sent to operator (1 message)')
  })

  it('marks the operator mail read with hive read', async () => {
    const unread = (await daemon.cliJson<Inbox>('inbox', '--unread', '--json')).messages
    expect(unread.length).toBeGreaterThan(0)
    const [first] = unread
    const one = await daemon.cli('read', String(first?.id))
    expect(one.stdout).toContain('1 message marked read')
    expect((await daemon.cliJson<Inbox>('inbox', '--unread', '--json')).messages.map((m) => m.id)).not.toContain(first?.id)
    expect((await daemon.cli('read')).stderr).toContain('give a message id or --all')
    expect((await daemon.cli('read', '--all')).code).toBe(0)
    expect((await daemon.cliJson<{ unread: number }>('inbox', '--json')).unread).toBe(0)
  })

  it("offered each role exactly its tools, with haiku as the model", () => {
    const manager = hive.fake.requests.find((r) => r.script === 'manager')?.summary
    const worker = hive.fake.requests.find((r) => r.script === 'worker')?.summary
    expect(manager && worker).toBeTruthy()
    // No Bash for the manager by default: it commits configs through commit_config.
    expect(sorted(manager?.tools ?? [])).toEqual(sorted([...BUILTINS, ...mcpToolNames('manager')]))
    expect(manager?.tools).toContain('mcp__hyperhive__commit_config')
    expect(manager?.tools).not.toContain('Bash')
    expect(sorted(worker?.tools ?? [])).toEqual(sorted([...BUILTINS, ...mcpToolNames('agent')]))
    expect(worker?.tools).not.toContain('Bash')
    expect(manager?.model).toMatch(/haiku/)
    expect(worker?.system).toContain('You are **worker**')
    expect(manager?.system).toContain('policy gate')
  })

  it('recorded a turn per wake and the live stream', async () => {
    const list = await daemon.cliJson<{ name: string; activity: string }[]>('list', '--json')
    expect(list.map((a) => a.name)).toEqual(['manager', 'worker'])
    const db = new Database(join(daemon.home, 'hive.db'), { readonly: true })
    const turns = db.prepare(`SELECT ok, model, wakeFrom, durationMs, tokensIn, tokensOut FROM "Turn" WHERE agent = 'worker'`).all() as {
      ok: number
      model: string
      wakeFrom: string
      durationMs: number
      tokensIn: number
      tokensOut: number
    }[]
    expect(turns).toHaveLength(1)
    expect(turns[0]).toMatchObject({ ok: 1, model: 'haiku', wakeFrom: 'manager' })
    expect(turns[0]?.durationMs).toBeGreaterThan(0)
    expect(turns[0]?.tokensIn).toBeGreaterThan(0)
    expect(turns[0]?.tokensOut).toBeGreaterThan(0)
    const kinds = db.prepare(`SELECT DISTINCT kind FROM "AgentEvent" WHERE agent = 'worker'`).all() as { kind: string }[]
    expect(kinds.map((k) => k.kind)).toEqual(expect.arrayContaining(['system:init', 'assistant', 'user', 'result:success']))
    db.close()
    const logs = await daemon.cli('logs', 'worker')
    expect(logs.stdout).toContain('turn finished')
  })
})
