import type { AskOperatorArgs } from '@hive/mcp'
import { managerEvents } from '../apps/harness/test/support/manager-events.ts'
import { connectAgent } from '../apps/harness/test/support/sockets.ts'
import { expect, test } from './fixtures.ts'

interface Question {
  id: number
  status: string
  answer: string | null
}

async function askAsManager(home: string, args: AskOperatorArgs): Promise<number> {
  const manager = await connectAgent(home, 'manager')
  try {
    return (await manager.call('ask_operator', args)).question_id
  } finally {
    manager.close()
  }
}

test('the operator answers a multi-choice question inline, live', async ({ page, hive }, testInfo) => {
  const questions = page.getByRole('region', { name: '◆ M1ND H4S QU3STI0NS ◆' })
  await expect(questions).toHaveCount(0)

  const id = await askAsManager(hive.daemon.home, {
    question: 'Which environments should worker deploy to?',
    options: ['staging', 'canary', 'production'],
    multi: true,
  })
  await expect(questions).toBeVisible() // pushed live, no reload
  await expect(page).toHaveTitle(/\(1\)/)
  const form = questions.getByRole('form', { name: `question ${id}` })
  await form.getByRole('checkbox', { name: 'staging' }).check()
  await form.getByRole('checkbox', { name: 'canary' }).check()
  await form.getByRole('textbox', { name: 'or type your own answer' }).fill('not production before Friday')
  await page.screenshot({ path: testInfo.outputPath('question.png'), fullPage: true })
  await form.getByRole('button', { name: /ANSW3R/ }).click()

  await expect(questions).toHaveCount(0)
  const stored = (await hive.daemon.cliJson<Question[]>('questions', '--all', '--json')).find((q) => q.id === id)
  expect(stored).toMatchObject({ status: 'answered', answer: 'staging\ncanary\nnot production before Friday' })
  await expect(page.getByRole('list', { name: 'answered questions' })).toBeHidden() // history starts collapsed
  await page.getByText(/ANSW3R3D QU3STI0NS/).click()
  await expect(page.getByRole('list', { name: 'answered questions' })).toContainText('not production before Friday')
})

test('a question with a TTL counts down and expires; the manager is told', async ({ page, hive }) => {
  const questions = page.getByRole('region', { name: '◆ M1ND H4S QU3STI0NS ◆' })
  // 90 s on the test clock = 6 s here: time for the card to reach the page on a busy box.
  const id = await askAsManager(hive.daemon.home, { question: 'Still there?', options: ['yes'], ttl_seconds: 90 })
  await expect(questions.getByLabel('time left')).toContainText('⏳ 00:0')
  await expect(questions).toHaveCount(0, { timeout: 30_000 })

  const stored = (await hive.daemon.cliJson<Question[]>('questions', '--all', '--json')).find((q) => q.id === id)
  expect(stored).toMatchObject({ status: 'expired', answer: '[expired]' })
  await expect.poll(() => managerEvents(hive.daemon.home, 'question_expired'), { timeout: 5_000 }).toContainEqual({ event: 'question_expired', id, question: 'Still there?', answer: '[expired]' })
})
