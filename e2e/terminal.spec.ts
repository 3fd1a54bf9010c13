import { expect, test } from './fixtures.ts'

test('a shell in the browser: run a command, follow a resize, survive a reload', async ({ page, hive }, testInfo) => {
  await page.goto(`${hive.daemon.origin}/agent?name=manager`)
  await page.getByRole('button', { name: '▸ open shell' }).click()
  const terminal = page.getByTestId('terminal.manager')
  const screen = terminal.locator('.xterm-rows')
  await terminal.scrollIntoViewIfNeeded()
  await expect(page.getByRole('status').filter({ hasText: 'connected' })).toBeVisible()
  await expect(screen).toContainText('UNISOLATED')

  await terminal.click()
  await page.keyboard.type('echo hive-$((6*7))')
  await page.keyboard.press('Enter')
  await expect(screen).toContainText('hive-42')

  await page.keyboard.type('stty size')
  await page.keyboard.press('Enter')
  await expect(screen).toContainText(/\n?\d+ \d+/)
  const before = await screen.innerText()
  const sizeBefore = /(\d+) (\d+)\s*$/m.exec(before.split('stty size').at(-1) ?? '')?.[0]

  await page.setViewportSize({ width: 700, height: 500 })
  await page.keyboard.type('clear; stty size')
  await page.keyboard.press('Enter')
  await expect
    .poll(async () => /(\d+) (\d+)/.exec((await screen.innerText()).split('stty size').at(-1) ?? '')?.[0])
    .not.toBe(sizeBefore)
  await page.screenshot({ path: testInfo.outputPath('terminal.png') })

  await page.keyboard.type('echo before-reload-$((1+1))')
  await page.keyboard.press('Enter')
  await expect(screen).toContainText('before-reload-2')
  await page.reload()
  await page.getByRole('button', { name: '▸ open shell' }).click()
  await page.getByTestId('terminal.manager').scrollIntoViewIfNeeded()
  await expect(page.getByTestId('terminal.manager').locator('.xterm-rows')).toContainText('before-reload-2')
})
