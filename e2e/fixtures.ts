import { test as base, expect } from '@playwright/test'
import { claudeTestEnv, startFakeAnthropic, type FakeAnthropic, type Script } from '@hive/testkit'
import { HiveDaemon } from '../apps/harness/test/support/hive-daemon.ts'

export interface HiveWorld {
  daemon: HiveDaemon
  fake: FakeAnthropic
  /** Replace the fake model's scripts for the next turns. */
  script(scripts: Script[]): void
}

/** One daemon + fake model per test file; each test logs in with the printed URL. */
export const test = base.extend<{ loggedIn: void }, { hive: HiveWorld }>({
  hive: [
    // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
    async ({}, use) => {
      const fake = await startFakeAnthropic()
      // Test clock: question TTLs run 15× faster.
      const daemon = new HiveDaemon(HiveDaemon.tempHome(), { ...claudeTestEnv(fake.url), HIVE_TEST_MODE: '1', HIVE_TEST_CLOCK_SCALE: '15' })
      await daemon.start()
      await use({ daemon, fake, script: (s) => fake.setScripts(s) })
      await daemon.stop()
      await fake.close()
      daemon.removeHome()
    },
    { scope: 'worker' },
  ],
  loggedIn: [
    async ({ page, hive }, use) => {
      await page.goto(hive.daemon.loginUrl)
      await expect(page.getByRole('link', { name: '◆ HYPERH1VE ◆' })).toBeVisible()
      await use()
    },
    { auto: true },
  ],
})

export { expect }
