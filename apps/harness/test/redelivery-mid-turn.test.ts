import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { useHive } from './support/hive-fixture.ts'

/**
 * The crash lands in the middle of a real turn: the worker's claude is waiting for the model when
 * the daemon dies. After the restart the turn loop gets the message again, and the model sees the
 * redelivery banner in the wake prompt.
 */
describe('daemon SIGKILL in the middle of a turn', () => {
  const hive = useHive({
    agents: ['worker'],
    scripts: [
      // The first attempt hangs long enough for the crash; the redelivered one answers at once.
      {
        name: 'slow-first',
        match: (r) => r.turnText.includes('long job') && !r.turnText.includes('[redelivered'),
        steps: [{ text: 'working…', delayMs: 60_000 }],
      },
      // The worker's redelivery only: the manager may be redelivered a helper event of its own.
      {
        name: 'redelivered',
        match: (r) => r.turnText.includes('long job') && r.turnText.includes('[redelivered'),
        steps: [{ text: 'Checked my notes; finishing the long job.' }],
      },
    ],
  })
  const { daemon } = hive

  it('redelivers the in-flight message once, flagged, and acks it after the retried turn', async () => {
    expect((await daemon.cli('send', 'worker', 'please do the long job')).code).toBe(0)
    await hive.fake.waitForRequest((r) => r.script === 'slow-first')

    await daemon.crash()
    await daemon.start()

    const retried = await hive.fake.waitForRequest((r) => r.script === 'redelivered')
    expect(retried.summary?.turnText).toContain('please do the long job')

    const db = new Database(join(daemon.home, 'hive.db'), { readonly: true })
    const row = () =>
      db.prepare(`SELECT ackedAt IS NOT NULL AS acked, redelivered FROM "Message" WHERE recipient = 'worker' AND body = 'please do the long job'`).all()
    await expect.poll(row, { timeout: 60_000 }).toEqual([{ acked: 1, redelivered: 1 }])
    db.close()
    // Exactly one redelivered attempt reached the model.
    expect(hive.fake.requests.filter((r) => r.script === 'redelivered' && r.answer === 'step 0')).toHaveLength(1)
  })
})
