import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { managerEvents } from '../apps/harness/test/support/manager-events.ts'
import { connectAgent } from '../apps/harness/test/support/sockets.ts'
import { expect, test } from './fixtures.ts'

type Manager = Awaited<ReturnType<typeof connectAgent>>

async function asManager(home: string, request: (manager: Manager) => Promise<{ approval_id: number }>): Promise<number> {
  const manager = await connectAgent(home, 'manager')
  try {
    return (await request(manager)).approval_id
  } finally {
    manager.close()
  }
}

test('the operator approves a spawn the manager asked for, live', async ({ page, hive }, testInfo) => {
  const approvals = page.getByRole('region', { name: '◆ P3NDING APPR0VALS ◆' })
  await expect(approvals).toContainText('nothing waits for a decision')

  const id = await asManager(hive.daemon.home, (m) => m.call('request_spawn', { name: 'scout', description: 'reads the docs and reports back' }))
  const card = approvals.getByRole('article', { name: `approval ${id}` })
  await expect(card).toContainText('spawn scout') // pushed live, no reload
  await expect(card).toContainText('reads the docs and reports back')
  await page.screenshot({ path: testInfo.outputPath('approvals.png'), fullPage: true })

  await card.getByRole('button', { name: `approve approval ${id}` }).click()
  await expect(card).toHaveCount(0)
  await expect(page.getByTestId('container-scout')).toBeVisible()
  await approvals.getByText(/decided/).click()
  await expect(approvals.getByRole('list', { name: 'decided approvals' })).toContainText('approved')
})

test('a config commit is reviewed as a diff and denied with a note (two clicks)', async ({ page, hive }) => {
  const repo = join(hive.daemon.home, 'agents', 'manager', 'config')
  const config = JSON.parse(readFileSync(join(repo, 'agent.json'), 'utf8')) as Record<string, unknown>
  writeFileSync(join(repo, 'agent.json'), JSON.stringify({ ...config, model: 'opus' }, null, 2) + '\n')
  execFileSync('git', ['-c', 'user.name=manager', '-c', 'user.email=m@hive', 'commit', '--quiet', '-am', 'opus for me'], { cwd: repo })
  const id = await asManager(hive.daemon.home, (m) => m.call('request_apply_commit', { agent: 'manager', commit_ref: 'HEAD', description: 'I think better on opus' }))

  const card = page.getByRole('region', { name: '◆ P3NDING APPR0VALS ◆' }).getByRole('article', { name: `approval ${id}` })
  await expect(card.getByLabel('proposed change')).toContainText('+  "model": "opus"')
  await expect(card.locator('.diff .add', { hasText: '"model": "opus"' })).toBeVisible()
  await card.getByRole('textbox', { name: `deny note for approval ${id}` }).fill('haiku is enough')
  await card.getByRole('button', { name: `deny approval ${id}` }).click()
  await expect(card).toBeVisible() // the first click only arms
  await card.getByRole('button', { name: `confirm deny approval ${id}` }).click()
  await expect(card).toHaveCount(0)

  expect(readFileSync(join(hive.daemon.home, 'applied', 'manager', 'agent.json'), 'utf8')).not.toContain('opus')
  await expect
    .poll(() => managerEvents(hive.daemon.home, 'approval_resolved'), { timeout: 5_000 })
    .toContainEqual(expect.objectContaining({ event: 'approval_resolved', id, kind: 'apply_commit', status: 'denied', note: 'haiku is enough' }))
})
