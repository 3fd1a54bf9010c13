import { afterAll, beforeAll, expect } from 'vitest'
import { claudeTestEnv, startFakeAnthropic, type FakeAnthropic, type Script } from '@hive/testkit'
import { HiveDaemon } from './hive-daemon.ts'

export interface HiveFixtureOptions {
  scripts?: Script[]
  defaultText?: string
  /** Sub-agents to spawn before the tests. */
  agents?: string[]
  /** Stop them again: the test plays the agents on their sockets, no turn loop competes. */
  stopped?: boolean
  /** Extra daemon environment (e.g. the test clock). */
  env?: Record<string, string>
}

export interface HiveFixture {
  daemon: HiveDaemon
  fake: FakeAnthropic
}

/**
 * A real daemon in a temp home whose agents reach the scripted fake model, torn down after the
 * file. Even without scripts the fake is needed: the manager wakes on helper events.
 */
export function useHive(options: HiveFixtureOptions = {}): HiveFixture {
  const fixture = { daemon: new HiveDaemon(HiveDaemon.tempHome(), {}) } as HiveFixture
  beforeAll(async () => {
    fixture.fake = await startFakeAnthropic({
      scripts: options.scripts ?? [],
      ...(options.defaultText ? { defaultText: options.defaultText } : {}),
    })
    fixture.daemon.setEnv({ ...claudeTestEnv(fixture.fake.url), ...options.env })
    await fixture.daemon.start()
    for (const name of options.agents ?? []) {
      const spawned = await fixture.daemon.cli('spawn', name)
      expect(spawned.code, spawned.stderr).toBe(0)
      if (options.stopped) expect((await fixture.daemon.cli('kill', name)).code).toBe(0)
    }
  })
  afterAll(async () => {
    await fixture.daemon.stop()
    await fixture.fake?.close()
    fixture.daemon.removeHome()
  })
  return fixture
}
