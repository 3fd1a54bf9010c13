import { describe, expect, it } from 'vitest'
import type { DeadLetterView, InboxMessage } from '@hive/mcp'
import { onTurnContaining, type Script } from '@hive/testkit'
import { useHive } from './support/hive-fixture.ts'
import { readHiveDb } from './support/hive-db.ts'

/** The model refuses this turn every time: a turn error, not an outage. */
const poison = (tag: string): Script =>
  onTurnContaining(`poison ${tag}`, `poison pill ${tag}`, [{ error: { status: 400, type: 'invalid_request_error', message: `this request breaks the model (${tag})` } }])

/**
 * Acceptance: a message whose turn errors every time becomes a dead letter after three tries —
 * in `hive dead-letters`, on the dashboard's API, announced to the manager — instead of being
 * acked in silence. `hive retry` requeues it, `hive discard` removes it.
 */
describe('dead letters', () => {
  const hive = useHive({ agents: ['worker'], env: { CLAUDE_CODE_MAX_RETRIES: '1' }, scripts: [poison('one'), poison('two')] })
  const { daemon } = hive

  const deadLetters = () => daemon.cliJson<DeadLetterView[]>('dead-letters', '--json')
  const rowOf = (id: number) =>
    readHiveDb(daemon.home, (db) => db.prepare('SELECT ackedAt IS NOT NULL AS acked, deadLetteredAt IS NOT NULL AS dead, attempts FROM "Message" WHERE id = ?').get(id))

  /** A tRPC query as the dashboard makes it: logged in with the operator's URL, then a cookie. */
  async function dashboardQuery<T>(path: string): Promise<T> {
    const login = await fetch(daemon.loginUrl, { redirect: 'manual' })
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    const res = await fetch(`${daemon.origin}/api/trpc/${path}`, { headers: { cookie } })
    expect(res.status).toBe(200)
    return ((await res.json()) as { result: { data: T } }).result.data
  }

  const failedTurns = () => readHiveDb(daemon.home, (db) => (db.prepare(`SELECT count(*) AS n FROM "Turn" WHERE agent = 'worker' AND NOT ok`).get() as { n: number }).n)

  async function deadLetterFor(tag: string): Promise<DeadLetterView> {
    expect((await daemon.cli('send', 'worker', `poison pill ${tag}: do it`)).code).toBe(0)
    let found: DeadLetterView | undefined
    await expect
      .poll(async () => (found = (await deadLetters()).find((m) => m.body.includes(`poison pill ${tag}`))), { timeout: 120_000, interval: 500 })
      .toBeDefined()
    return found as DeadLetterView
  }

  it('dead-letters a message after three turn errors and tells the manager', async () => {
    const dead = await deadLetterFor('one')
    expect(dead).toMatchObject({ from: 'operator', to: 'worker', attempts: 3 })
    expect(dead.last_error).toContain('this request breaks the model (one)')
    expect(failedTurns()).toBe(3) // one turn per attempt, then no more
    expect(rowOf(dead.id)).toEqual({ acked: 0, dead: 1, attempts: 3 })

    const text = await daemon.cli('dead-letters')
    expect(text.stdout).toContain(`#${dead.id} operator → worker, 3 attempts`)
    expect(text.stdout).toContain(`hive retry ${dead.id} | hive discard ${dead.id}`)
    // The dashboard reads the same list over tRPC.
    const viaApi = await dashboardQuery<{ dead_letters: DeadLetterView[]; next_before: number | null }>('messages.deadLetters')
    expect(viaApi.dead_letters.map((m) => m.id)).toContain(dead.id)
    expect(viaApi.next_before).toBeNull()
    // The manager heard of it as a helper event (and its turn ran on it).
    await hive.fake.waitForRequest((r) => r.summary?.turnText.includes('"event":"message_dead_lettered"') === true && r.summary.turnText.includes(`"id":${dead.id}`), 60_000)
    // It stays out of the queue: the worker is idle, nothing retries it by itself.
    await expect.poll(async () => (await daemon.cliJson<{ name: string; activity: string; unread: number }[]>('list', '--json')).find((a) => a.name === 'worker'), { timeout: 30_000 }).toMatchObject({ activity: 'idle', unread: 0 })
  })

  it('retry requeues a dead letter, which is then handled', async () => {
    const [dead] = await deadLetters()
    if (!dead) throw new Error('no dead letter from the previous test')
    hive.fake.setScripts([
      onTurnContaining('healed', 'poison pill one', [
        { toolUse: { name: 'mcp__hyperhive__send', input: { to: 'operator', body: 'the pill went down this time' } } },
        { text: 'Done.' },
      ]),
      poison('two'),
    ])
    const retried = await daemon.cli('retry', String(dead.id))
    expect(retried.stdout).toContain(`message ${dead.id} requeued for worker`)
    await expect
      .poll(async () => (await daemon.cliJson<{ messages: InboxMessage[] }>('inbox', '--json')).messages.map((m) => m.body), { timeout: 120_000, interval: 500 })
      .toContain('the pill went down this time')
    await expect.poll(() => rowOf(dead.id), { timeout: 30_000 }).toEqual({ acked: 1, dead: 0, attempts: 0 })
    expect(await deadLetters()).toEqual([])
  })

  it('discard removes a dead letter; bad ids are refused and change nothing', async () => {
    const dead = await deadLetterFor('two')
    const live = (await daemon.cliJson<{ messages: InboxMessage[] }>('inbox', '--json')).messages[0]
    if (!live) throw new Error('expected a message in the operator inbox')

    for (const [verb, id, error] of [
      ['retry', '999999', 'no dead letter with id 999999'],
      ['discard', '999999', 'no dead letter with id 999999'],
      ['discard', String(live.id), `no dead letter with id ${live.id}`], // a live message is not discardable
      ['retry', 'abc', 'must be a positive integer id'],
      ['discard', '-3', 'must be a positive integer id'],
    ] as const) {
      const r = await daemon.cli(verb, id)
      expect(r.code, `${verb} ${id}`).not.toBe(0)
      expect(r.stderr).toContain(error)
    }
    expect((await deadLetters()).map((m) => m.id)).toEqual([dead.id])

    const discarded = await daemon.cli('discard', String(dead.id))
    expect(discarded.stdout).toContain(`message ${dead.id} (operator → worker) discarded`)
    expect(await deadLetters()).toEqual([])
    expect(rowOf(dead.id)).toBeUndefined()
    expect((await daemon.cli('discard', String(dead.id))).stderr).toContain(`no dead letter with id ${dead.id}`)
  })
})
