import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { claudeTestEnv, onTurnContaining, startFakeAnthropic, type FakeAnthropic } from '@hive/testkit'
import { HiveDaemon } from './support/hive-daemon.ts'

/**
 * The crash lands in the middle of a real turn: the worker's claude is waiting for the model when
 * the daemon dies. After the restart the turn loop gets the message again, and the model sees the
 * redelivery banner in the wake prompt.
 */
describe('daemon SIGKILL in the middle of a turn', () => {
  let fake: FakeAnthropic
  const daemon = new HiveDaemon(HiveDaemon.tempHome(), {})

  beforeAll(async () => {
    fake = await startFakeAnthropic({
      scripts: [
        // The first attempt hangs long enough for the crash; the redelivered one answers at once.
        { name: 'slow-first', match: (r) => r.turnText.includes('long job') && !r.turnText.includes('[redelivered'), steps: [{ text: 'working…', delayMs: 60_000 }] },
        onTurnContaining('redelivered', '[redelivered', [{ text: 'Checked my notes; finishing the long job.' }]),
      ],
    })
    daemon.setEnv(claudeTestEnv(fake.url))
    await daemon.start()
    expect((await daemon.cli('spawn', 'worker')).code).toBe(0)
  })

  afterAll(async () => {
    await daemon.stop()
    await fake.close()
    daemon.removeHome()
  })

  it('redelivers the in-flight message once, flagged, and acks it after the retried turn', async () => {
    expect((await daemon.cli('send', 'worker', 'please do the long job')).code).toBe(0)
    await fake.waitForRequest((r) => r.script === 'slow-first')

    await daemon.crash()
    await daemon.start()

    const retried = await fake.waitForRequest((r) => r.script === 'redelivered')
    expect(retried.summary?.turnText).toContain('please do the long job')

    const db = new Database(join(daemon.home, 'hive.db'), { readonly: true })
    const row = () =>
      db.prepare(`SELECT ackedAt IS NOT NULL AS acked, redelivered FROM "Message" WHERE recipient = 'worker' AND body = 'please do the long job'`).all()
    await expect.poll(row, { timeout: 60_000 }).toEqual([{ acked: 1, redelivered: 1 }])
    db.close()
    // Exactly one redelivered attempt reached the model.
    expect(fake.requests.filter((r) => r.script === 'redelivered' && r.answer === 'step 0')).toHaveLength(1)
  })
})
