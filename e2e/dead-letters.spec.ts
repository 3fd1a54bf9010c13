import type { DeadLetterView } from '@hive/mcp'
import { connectAgent } from '../apps/harness/test/support/sockets.ts'
import { expect, test } from './fixtures.ts'

/** Plays `courier`'s turn loop: each leased message's turn fails with a turn error, three times. */
async function failEveryTurn(home: string, turns: number): Promise<void> {
  const courier = await connectAgent(home, 'courier')
  try {
    for (let i = 0; i < turns; i++) {
      const { message } = await courier.call('recv', { wait_seconds: 5 })
      if (!message) throw new Error(`no message to fail on at turn ${i + 1}`)
      await courier.call('turn_failed', { failure: 'turn_error', error: `the parcel is on fire (${message.body})` })
    }
  } finally {
    courier.close()
  }
}

test('dead letters show live on the dashboard; retry requeues one, discard removes another', async ({ page, hive }) => {
  const { daemon } = hive
  expect((await daemon.cli('spawn', 'courier')).code).toBe(0)
  expect((await daemon.cli('kill', 'courier')).code).toBe(0) // the test plays its turn loop
  for (const body of ['parcel one', 'parcel two']) expect((await daemon.cli('send', 'courier', body)).code).toBe(0)

  const section = page.getByRole('region', { name: /D34D L3TT3RS/ })
  await expect(section).toContainText('no message failed too often')
  await failEveryTurn(daemon.home, 6)

  const letters = await daemon.cliJson<DeadLetterView[]>('dead-letters', '--json')
  expect(letters.map((m) => m.body)).toEqual(['parcel two', 'parcel one'])
  const [two, one] = letters as [DeadLetterView, DeadLetterView]
  const list = section.getByRole('list', { name: 'dead letters' })
  await expect(list.getByRole('listitem')).toHaveCount(2) // pushed live, no reload
  await expect(list).toContainText('the parcel is on fire (parcel one)')
  await expect(list).toContainText('3 attempts')

  await section.getByRole('button', { name: `retry message ${one.id}` }).click()
  await expect(list.getByRole('listitem')).toHaveCount(1)
  const courier = (await daemon.cliJson<{ name: string; unread: number }[]>('list', '--json')).find((a) => a.name === 'courier')
  expect(courier?.unread).toBe(1) // back in its queue

  await section.getByRole('button', { name: `discard message ${two.id}` }).click()
  await expect(section).toContainText('no message failed too often')
  expect(await daemon.cliJson<DeadLetterView[]>('dead-letters', '--json')).toEqual([])
})
