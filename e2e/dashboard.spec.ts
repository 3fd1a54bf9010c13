import { onTurnContaining } from '@hive/testkit'
import { expect, test } from './fixtures.ts'
import { DashboardPage } from './pages/dashboard.ts'

test('operate an agent from the dashboard: spawn, message, live turn, inbox, stop/start, destroy', async ({ page, hive }, testInfo) => {
  hive.script([
    onTurnContaining('scout', 'scout, report in', [
      // Slow enough to watch the badge say "thinking" on the agent page.
      { toolUse: { name: 'mcp__hyperhive__send', input: { to: 'operator', body: 'scout reporting: all quiet' } }, delayMs: 6000 },
      { text: 'Reported to the operator.' },
    ]),
  ])
  const dash = new DashboardPage(page)
  await expect(dash.containerRow('manager')).toBeVisible()
  await expect(dash.containerRow('manager').getByText('UNISOLATED')).toBeVisible()

  await dash.spawn('scout')
  await expect(dash.containerRow('scout').getByText('running')).toBeVisible()

  await dash.compose('@scout scout, report in')
  await expect(dash.section('MESS4GE FL0W').getByText('scout, report in')).toBeVisible()

  await dash.containerRow('scout').getByRole('link', { name: 'scout' }).click()
  await expect(page).toHaveURL(/\/agent\?name=scout/)
  const header = page.getByRole('region', { name: /◆ SCOUT ◆/ })
  await expect(header.getByTestId('activity')).toContainText('thinking')
  const stream = page.getByRole('list', { name: 'turn stream' })
  await expect(stream.getByText('send → operator: scout reporting: all quiet')).toBeVisible()
  await expect(header.getByTestId('activity')).toContainText('idle')
  await expect(page.getByLabel('last turn')).toContainText('ok')
  await page.screenshot({ path: testInfo.outputPath('agent-page.png'), fullPage: true })

  await page.getByRole('link', { name: '↑ DASHB04RD' }).click()
  const inbox = dash.section('0PER4T0R 1NB0X')
  await expect(inbox.getByText('scout reporting: all quiet')).toBeVisible()
  await expect(inbox.getByLabel('unread operator messages')).toHaveText('1 unread')
  await page.screenshot({ path: testInfo.outputPath('dashboard.png'), fullPage: true })

  const row = dash.containerRow('scout')
  await row.getByRole('button', { name: 'stop scout' }).click()
  await expect(row.getByText('stopped')).toBeVisible()
  await row.getByRole('button', { name: 'start scout' }).click()
  await expect(row.getByText('running')).toBeVisible()

  await dash.twoClick(row, 'destroy scout')
  await expect(row).toHaveCount(0)
  await expect(page.getByTestId('kept-scout')).toBeVisible()
  await expect(page.getByTestId('kept-scout').getByRole('button', { name: 'revive scout' })).toBeVisible()
})
