/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { chromium } from '@playwright/test'
import { connectAdmin } from '../apps/harness/test/support/sockets.ts'
import { claudeTestEnv, startFakeAnthropic } from '@hive/testkit'
import { HiveDaemon } from '../apps/harness/test/support/hive-daemon.ts'
import { summarize, type Latency } from './stats.ts'

declare global {
  interface Window {
    __seen?: Map<string, number>
  }
}

/**
 * Broker send → the message's row visible in MESS4GE FL0W in a real Chromium. The page records
 * the wall-clock time each `bench-<i>` row appears (MutationObserver); the bench records the
 * wall-clock time right before its send on the admin socket. Same machine, same clock.
 */
export async function benchEventToBrowser(samples: number): Promise<Latency> {
  const fake = await startFakeAnthropic()
  const daemon = new HiveDaemon(HiveDaemon.tempHome(), { ...claudeTestEnv(fake.url), LOG_LEVEL: 'warn' })
  await daemon.start()
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  })
  try {
    await daemon.cli('kill', 'manager') // no turns compete with the measurement
    const spawned = await daemon.cli('spawn', 'bench')
    if (spawned.code !== 0) throw new Error(spawned.stderr)
    await daemon.cli('kill', 'bench')
    const page = await browser.newPage()
    await page.goto(daemon.loginUrl)
    await page.getByRole('region', { name: '◆ MESS4GE FL0W ◆' }).waitFor()
    await page.evaluate(() => {
      const seen = new Map<string, number>()
      window.__seen = seen
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[data-testid^="flow-"] .body')) {
          const text = el.textContent ?? ''
          if (text.startsWith('bench-') && !seen.has(text)) seen.set(text, performance.timeOrigin + performance.now())
        }
      }).observe(document.body, { childList: true, subtree: true, characterData: true })
    })
    const admin = await connectAdmin(daemon.home)
    const latencies: number[] = []
    for (let i = 0; i < samples + 5; i++) {
      const body = `bench-${i}`
      const sentAt = performance.timeOrigin + performance.now()
      await admin.call('send', { to: 'bench', body })
      await page.waitForFunction((b) => window.__seen?.has(b), body, { polling: 5 })
      const shownAt = await page.evaluate((b) => window.__seen?.get(b) ?? NaN, body)
      if (i >= 5) latencies.push(shownAt - sentAt)
    }
    admin.close()
    return summarize(latencies)
  } finally {
    await browser.close()
    await daemon.stop()
    await fake.close()
    daemon.removeHome()
  }
}
