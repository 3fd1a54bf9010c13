import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { PROMPT_TOO_LONG } from '@hive/testkit'
import { useHive } from './support/hive-fixture.ts'

/** "Prompt is too long" from the API: the turn loop compacts the session once and retries. */
describe('context overflow', () => {
  let overflowed = 0
  const hive = useHive({
    agents: ['worker'],
    scripts: [
      // Only the first attempt overflows; after /compact the same prompt fits.
      { name: 'overflow', match: (r) => r.turnText.includes('huge task') && overflowed++ === 0, steps: [PROMPT_TOO_LONG] },
      { name: 'retry', match: (r) => r.turnText.includes('huge task'), steps: [{ text: 'Handled after compaction.' }] },
    ],
    defaultText: 'Summary: nothing important yet.',
  })
  const { daemon } = hive

  it('runs /compact and retries the same prompt once, then acks', async () => {
    // The CLI auto-compacts on overflow by itself when it can; with a short session it cannot
    // ("Not enough messages to compact"), which is exactly when the turn loop's fallback matters.
    expect((await daemon.cli('send', 'worker', 'the huge task')).code).toBe(0)
    const retry = await hive.fake.waitForRequest((r) => r.script === 'retry', 120_000)
    expect(retry.summary?.turnText).toContain('the huge task')

    const db = new Database(join(daemon.home, 'hive.db'), { readonly: true })
    await expect
      .poll(() => db.prepare(`SELECT ackedAt IS NOT NULL AS acked FROM "Message" WHERE body = 'the huge task'`).get(), { timeout: 60_000 })
      .toEqual({ acked: 1 })
    const turn = db.prepare(`SELECT ok, wakeFrom FROM "Turn" WHERE agent = 'worker' ORDER BY id DESC LIMIT 1`).get()
    expect(turn).toEqual({ ok: 1, wakeFrom: 'operator' })
    // The live stream shows the compaction the turn loop ran between the two attempts.
    const statuses = db.prepare(`SELECT payloadJson FROM "AgentEvent" WHERE agent = 'worker' AND kind = 'system:status' ORDER BY id`).all() as { payloadJson: string }[]
    expect(statuses.map((s) => (JSON.parse(s.payloadJson) as { status: string | null }).status)).toContain('compacting')
    db.close()
  })
})
