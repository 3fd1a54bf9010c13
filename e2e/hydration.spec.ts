import { expect, test } from './fixtures.ts'
import { DashboardPage } from './pages/dashboard.ts'

// The fixture fails every test on a page error, so each load here also proves hydration is clean
// (React reports a mismatch as error #418 and rebuilds the tree, dropping what was typed or clicked).
test('input and a click right after load take effect', async ({ page, hive }) => {
  const dash = new DashboardPage(page)
  for (const name of ['early-1', 'early-2', 'early-3']) {
    await page.goto(`${hive.daemon.origin}/`)
    // No wait for data or anything else: straight from the load event into the form.
    await dash.section('C0NTAINERS').getByRole('textbox', { name: 'new agent name' }).fill(name)
    await dash.section('C0NTAINERS').getByRole('button', { name: /SP4WN/ }).click()
    await expect(dash.containerRow(name)).toBeVisible()
  }
})

test('a link clicked right after an agent page loads navigates', async ({ page, hive }) => {
  for (let i = 0; i < 3; i++) {
    await page.goto(`${hive.daemon.origin}/agent?name=manager`)
    await page.getByRole('link', { name: '◆ HYPERH1VE ◆' }).click()
    await expect(page).toHaveURL(/\/$/)
    await expect(new DashboardPage(page).containerRow('manager')).toBeVisible()
  }
})
