import { describe, expect, it } from 'vitest'
import { onTurnContaining } from '@hive/testkit'
import { failure } from './support/failure.ts'
import { useHive } from './support/hive-fixture.ts'
import { connectAgent } from './support/sockets.ts'
import { managerEvents } from './support/manager-events.ts'

interface Question {
  id: number
  asker: string
  question: string
  options: string[]
  status: string
  answer: string | null
  answerer: string | null
}

/**
 * M1ND H4S QU3STI0NS end to end with the real CLI: a sub-agent asks the manager, the manager
 * asks the operator, `hive answer` resolves it, the manager wakes with the answer and relays it.
 */
describe('operator questions', () => {
  const hive = useHive({
    agents: ['worker'],
    env: { HIVE_TEST_MODE: '1', HIVE_TEST_CLOCK_SCALE: '15' },
    scripts: [
      onTurnContaining('worker-asks', 'find out which database to use', [
        { toolUse: { name: 'mcp__hyperhive__send', input: { to: 'manager', body: 'Which database should I use?' } } },
        { text: 'Asked the manager.' },
      ]),
      onTurnContaining('manager-asks', 'Which database should I use?', [
        {
          toolUse: {
            name: 'mcp__hyperhive__ask_operator',
            input: { question: 'worker asks: which database?', options: ['postgres', 'sqlite', 'none'], multi: true, ttl_seconds: 3600 },
          },
        },
        { text: 'Asked the operator; ending my turn.' },
      ]),
      onTurnContaining('manager-relays', '"event":"operator_answered"', [
        { toolUse: { name: 'mcp__hyperhive__send', input: { to: 'worker', body: 'The operator answered: sqlite (keep it simple).' } } },
        { text: 'Relayed.' },
      ]),
      onTurnContaining('worker-done', 'The operator answered', [{ text: 'Thanks.' }]),
    ],
  })
  const { daemon } = hive
  const managerSocket = () => connectAgent(daemon.home, 'manager')

  it('relays a sub-agent question through the manager to the operator and back', async () => {
    expect((await daemon.cli('send', 'worker', 'please find out which database to use')).code).toBe(0)

    let pending: Question[] = []
    await expect
      .poll(async () => (pending = await daemon.cliJson<Question[]>('questions', '--json')), { timeout: 120_000, interval: 300 })
      .toHaveLength(1)
    const [q] = pending
    expect(q).toMatchObject({ asker: 'manager', question: 'worker asks: which database?', options: ['postgres', 'sqlite', 'none'], status: 'pending' })

    const answered = await daemon.cli('answer', String(q?.id), 'keep it simple', '--option', 'sqlite')
    expect(answered.code, answered.stderr).toBe(0)

    const relay = await hive.fake.waitForRequest((r) => r.script === 'manager-relays', 120_000)
    expect(relay.summary?.turnText).toContain('"event":"operator_answered"')
    expect(relay.summary?.turnText).toContain('"answer":"sqlite\\nkeep it simple"')
    await hive.fake.waitForRequest((r) => r.script === 'worker-done', 120_000)

    const all = await daemon.cliJson<Question[]>('questions', '--all', '--json')
    expect(all[0]).toMatchObject({ status: 'answered', answer: 'sqlite\nkeep it simple', answerer: 'operator' })
  })

  it('refuses a second answer, answers to cancelled questions and unknown ids, keeping the first', async () => {
    const [answered] = await daemon.cliJson<Question[]>('questions', '--all', '--json')
    const again = await daemon.cli('answer', String(answered?.id), 'postgres after all')
    expect(again.code).not.toBe(0)
    expect(again.stderr).toContain('already answered')
    expect((await daemon.cli('answer', '9999', 'x')).stderr).toContain('no question with id 9999')
    expect((await daemon.cli('cancel-question', String(answered?.id))).stderr).toContain('already answered')

    const manager = await managerSocket()
    const { question_id } = await manager.call('ask_operator', { question: 'deploy now?', options: ['yes', 'no'] })
    expect((await daemon.cli('answer', String(question_id), '--option', 'maybe')).stderr).toContain('not offered')
    expect((await daemon.cli('answer', String(question_id), '--option', 'yes', '--option', 'no')).stderr).toContain('takes one option')
    expect((await daemon.cli('answer', String(question_id))).stderr).toContain('choose an option or type an answer')
    expect((await daemon.cli('cancel-question', String(question_id))).code).toBe(0)
    expect((await daemon.cli('answer', String(question_id), 'yes')).stderr).toContain('already cancelled')

    for (const [args, fragment] of [
      [{ question: 'x', multi: true }, 'multi: only allowed together with options'],
      [{ question: 'x', ttl_seconds: 5 }, 'ttl_seconds: must be between 30 and 21600'],
      [{ question: '' }, 'question is empty'],
      [{ question: 'x', options: Array.from({ length: 17 }, (_, i) => `o${i}`) }, 'args.options'],
      [{ question: 'x', options: ['a', 'a'] }, 'options: must be distinct'],
    ] as const) {
      const e = await failure(manager.request('ask_operator', args))
      expect(e?.message).toContain(fragment)
    }
    manager.close()

    const all = await daemon.cliJson<Question[]>('questions', '--all', '--json')
    expect(all.find((q) => q.id === answered?.id)).toMatchObject({ answer: 'sqlite\nkeep it simple' })
    expect(all.find((q) => q.id === question_id)).toMatchObject({ status: 'cancelled', answer: '[cancelled]' })
  })

  it('expires an unanswered question after its TTL, even across a daemon crash', async () => {
    const manager = await managerSocket()
    // 30 s on the test clock (15× faster): 2 s of wall time.
    const { question_id } = await manager.call('ask_operator', { question: 'still there?', ttl_seconds: 30 })
    manager.close()
    await daemon.crash()
    await daemon.start()

    await expect
      .poll(() => managerEvents(daemon.home, 'question_expired'), { timeout: 30_000 })
      .toEqual([{ event: 'question_expired', id: question_id, question: 'still there?', answer: '[expired]' }])
    const q = (await daemon.cliJson<Question[]>('questions', '--all', '--json')).find((x) => x.id === question_id)
    expect(q).toMatchObject({ status: 'expired', answer: '[expired]', answerer: 'ttl-watchdog' })
  })
})
