import { test as base, expect, type Page } from '@playwright/test'
import { claudeTestEnv, startFakeAnthropic, type FakeAnthropic, type Script } from '@hive/testkit'
import { HiveDaemon } from '../apps/harness/test/support/hive-daemon.ts'

export interface HiveWorld {
  daemon: HiveDaemon
  fake: FakeAnthropic
  /** Replace the fake model's scripts for the next turns. */
  script(scripts: Script[]): void
}

/** Records every uncaught exception and console error of `page`, as text. */
function watchErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.stack ?? error.message}`))
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return
    const { url, lineNumber } = msg.location()
    errors.push(`console.error: ${msg.text()}${url ? ` (${url}:${lineNumber})` : ''}`)
  })
  return errors
}

async function startHive(): Promise<{ world: HiveWorld; stop(): Promise<void> }> {
  const fake = await startFakeAnthropic()
  // Test clock: question TTLs run 15× faster.
  const daemon = new HiveDaemon(HiveDaemon.tempHome(), { ...claudeTestEnv(fake.url), HIVE_TEST_MODE: '1', HIVE_TEST_CLOCK_SCALE: '15' })
  await daemon.start()
  return {
    world: { daemon, fake, script: (s) => fake.setScripts(s) },
    async stop() {
      await daemon.stop()
      await fake.close()
      daemon.removeHome()
    },
  }
}

/**
 * One daemon per spec file, started at the file's first test and stopped when the next file
 * starts. A worker-scoped daemon would be shared by every file (one worker runs them all), and a
 * spec would see the agents and mail of the ones before it.
 */
class HivePerFile {
  private current: { file: string; world: HiveWorld; stop(): Promise<void> } | undefined

  async for(file: string): Promise<HiveWorld> {
    if (this.current?.file === file) return this.current.world
    await this.stop()
    this.current = { file, ...(await startHive()) }
    return this.current.world
  }

  async stop(): Promise<void> {
    await this.current?.stop()
    this.current = undefined
  }
}

/** Each test logs in with the printed URL and fails on any page or console error. */
export const test = base.extend<{ hive: HiveWorld; pageErrors: void; loggedIn: void }, { hives: HivePerFile }>({
  hives: [
    // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
    async ({}, use) => {
      const hives = new HivePerFile()
      await use(hives)
      await hives.stop()
    },
    { scope: 'worker' },
  ],
  hive: async ({ hives }, use, testInfo) => {
    await use(await hives.for(testInfo.file))
  },
  // Every test fails on an uncaught page error or a console error (a hydration mismatch is one).
  pageErrors: [
    async ({ page }, use) => {
      const errors = watchErrors(page)
      await use()
      expect(errors, 'the page reported errors').toEqual([])
    },
    { auto: true },
  ],
  loggedIn: [
    // Depends on pageErrors so the watch is on before the first navigation.
    async ({ page, hive, pageErrors: _watching }, use) => {
      await page.goto(hive.daemon.loginUrl)
      await expect(page.getByRole('link', { name: '◆ HYPERH1VE ◆' })).toBeVisible()
      await use()
    },
    { auto: true },
  ],
})

export { expect }
