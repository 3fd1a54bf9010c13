import { describe, expect, it } from 'vitest'
import { useHive } from './support/hive-fixture.ts'
import { connectAgent } from './support/sockets.ts'
import { readHiveDb } from './support/hive-db.ts'

/**
 * At-least-once delivery across a daemon crash: a leased, un-acked message comes back exactly
 * once (flagged), acked ones never do, nothing is lost.
 */
describe('redelivery after SIGKILL of the daemon', () => {
  const { daemon } = useHive({ agents: ['worker'], stopped: true })

  type Worker = Awaited<ReturnType<typeof connectAgent>>
  async function asWorker<T>(fn: (c: Worker) => Promise<T>): Promise<T> {
    const client = await connectAgent(daemon.home, 'worker')
    try {
      return await fn(client)
    } finally {
      client.close()
    }
  }
  const recv = (c: Worker) => c.call('recv', { wait_seconds: 0 })

  it('redelivers the un-acked lease once and nothing else', async () => {
    for (const body of ['one', 'two', 'three']) expect((await daemon.cli('send', 'worker', body)).code).toBe(0)

    await asWorker(async (c) => {
      const first = await recv(c)
      expect(first.message).toMatchObject({ body: 'one', redelivered: false })
      expect(first.unread).toBe(2)
      await c.call('ack') // "one" handled by a finished turn
      const second = await recv(c)
      expect(second.message).toMatchObject({ body: 'two', redelivered: false })
      // crash before the ack of "two"
    })

    await daemon.crash()
    await daemon.start()

    const seen = await asWorker(async (c) => {
      const bodies: { body: string; redelivered: boolean }[] = []
      for (;;) {
        const { message } = await recv(c)
        if (!message) break
        bodies.push({ body: message.body, redelivered: message.redelivered })
      }
      await c.call('ack')
      return bodies
    })
    expect(seen).toEqual([
      { body: 'two', redelivered: true },
      { body: 'three', redelivered: false },
    ])

    // A second crash after everything was acked redelivers nothing.
    await daemon.crash()
    await daemon.start()
    const after = await asWorker(recv)
    expect(after.message).toBeNull()

    const rows = readHiveDb(daemon.home, (db) => db.prepare(`SELECT body, ackedAt IS NOT NULL AS acked, redelivered FROM "Message" WHERE recipient = 'worker' ORDER BY id`).all())
    expect(rows).toEqual([
      { body: 'one', acked: 1, redelivered: 0 },
      { body: 'two', acked: 1, redelivered: 1 },
      { body: 'three', acked: 1, redelivered: 0 },
    ])
  })
})
