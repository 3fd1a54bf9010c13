import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { onTurnContaining } from '@hive/testkit'
import { nspawnWorksHere, stubInitOf } from './support/containers.ts'
import { useHive } from './support/hive-fixture.ts'
import { readHiveDb } from './support/hive-db.ts'

/** `git -c alias.x='!cmd' x` runs cmd: what `Bash(git -C /agents/*)` used to admit. */
const ALIAS_TRICK = (marker: string) => `git -C /agents/worker/config -c alias.x='!touch /state/${marker}' x`

interface ResultEvent {
  permission_denials?: { tool_name: string; tool_input: { command?: string } }[]
}

/**
 * The manager cannot run a command through git's config: by default it has no Bash at all, and
 * with narrow git patterns the alias trick matches none of them. Real claude, real containers.
 */
describe.runIf(nspawnWorksHere('manager git'))('the manager and git (nspawn)', () => {
  const hive = useHive({
    agents: ['worker'],
    env: { HIVE_RUNTIME: 'nspawn' },
    scripts: [
      onTurnContaining('alias-default', 'alias trick, default config', [
        { toolUse: { name: 'Bash', input: { command: ALIAS_TRICK('pwned-default'), description: 'alias trick' } } },
        { text: 'Tried.' },
      ]),
      onTurnContaining('alias-narrow', 'alias trick, narrow patterns', [
        { toolUse: { name: 'Bash', input: { command: ALIAS_TRICK('pwned'), description: 'alias trick' } } },
        { text: 'Tried.' },
      ]),
    ],
  })
  const { daemon } = hive
  const managerState = () => join(daemon.home, 'agents', 'manager', 'state')

  /** The tool_result the model got back for the scripted Bash call. */
  async function bashResult(script: string): Promise<string> {
    const next = await hive.fake.waitForRequest((r) => r.script === script && r.answer === 'step 1', 150_000)
    return JSON.stringify(next.body)
  }

  it('gives the default manager no Bash: the alias trick is refused and runs nothing', async () => {
    expect((await daemon.cli('send', 'manager', 'please try the alias trick, default config')).code).toBe(0)
    const result = await bashResult('alias-default')
    expect(result).toContain('"is_error":true')
    expect(result).toMatch(/No such tool available: Bash|haven't granted it yet/)
    expect(existsSync(join(managerState(), 'pwned-default'))).toBe(false)
  })

  it('denies the alias trick when the manager has narrow git patterns, and runs nothing', async () => {
    // The applied agent.json is read at every turn; these patterns pass the schema's guard.
    writeFileSync(join(daemon.home, 'applied', 'manager', 'agent.json'), JSON.stringify({ bash: ['git status', 'git log *'] }))
    expect((await daemon.cli('send', 'manager', 'please try the alias trick, narrow patterns')).code).toBe(0)
    const result = await bashResult('alias-narrow')
    expect(result).toContain('"is_error":true')
    expect(result).toMatch(/haven't granted it yet|permission/i)

    let denials: ResultEvent['permission_denials'] = []
    await expect
      .poll(
        () => {
          const rows = readHiveDb(daemon.home, (db) => db.prepare(`SELECT payloadJson FROM "AgentEvent" WHERE agent = 'manager' AND kind LIKE 'result%' ORDER BY id`).all() as { payloadJson: string }[])
          denials = rows.flatMap((r) => (JSON.parse(r.payloadJson) as ResultEvent).permission_denials ?? [])
          return denials.map((d) => [d.tool_name, d.tool_input.command])
        },
        { timeout: 60_000, interval: 500 },
      )
      .toContainEqual(['Bash', ALIAS_TRICK('pwned')])
    expect(existsSync(join(managerState(), 'pwned'))).toBe(false)
  })

  it('would have run had claude let it: the same command in the manager container does (the tests above prove something)', () => {
    const r = spawnSync('nsenter', [`--target=${stubInitOf(daemon.home, 'manager')}`, '--all', '/bin/sh', '-c', ALIAS_TRICK('pwned-control')], {
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(r.status, r.stderr).toBe(0)
    expect(existsSync(join(managerState(), 'pwned-control'))).toBe(true)
  })
})
