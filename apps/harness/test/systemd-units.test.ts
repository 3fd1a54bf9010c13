import { execFileSync } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { claudeTestEnv, startFakeAnthropic, type FakeAnthropic } from '@hive/testkit'
import { InstallPaths } from '../src/adapters/install-paths.ts'
import { nspawnWorksHere } from './support/containers.ts'
import { HiveDaemon } from './support/hive-daemon.ts'
import { SystemdTestbed, systemdTestbedHere } from './support/systemd-testbed.ts'
import { readHiveDb } from './support/hive-db.ts'

/** The bound from `systemctl kill` to the manager's inbox. */
const CRASH_EVENT_BOUND_MS = 1_000
/** How long a stop, restart or destroy gets to (wrongly) produce a crash event: the bound, and a margin. */
const QUIET_MS = CRASH_EVENT_BOUND_MS + 1_000
const BETA_LIMITS = { memoryMB: 320, pids: 96, cpuWeight: 40 }
const MiB = 1024 * 1024

interface CrashRow {
  agent: string
  note: string
  result?: string
  sentAt: number
}

/** Every container_crash the daemon sent, oldest first. */
function crashEvents(home: string): CrashRow[] {
  const rows = readHiveDb(home, (db) => db.prepare(`SELECT body, "sentAt" AS sentAt FROM "Message" WHERE sender = 'system' AND body LIKE '%"container_crash"%' ORDER BY id`).all() as { body: string; sentAt: number }[])
  return rows.map((r) => ({ ...(JSON.parse(r.body) as Omit<CrashRow, 'sentAt'>), sentAt: r.sentAt }))
}

const unitOf = (agent: string) => `hive-agent@${agent}.service`

/**
 * With systemd as PID 1 (a booted testbed: the host's PID 1 is not systemd), every nspawn agent
 * is a transient unit with its limits as unit properties, and the crash watcher follows the units
 * over the real system bus: a unit killed behind the daemon's back reaches the manager as
 * container_crash within a second; the daemon's own stops never do, nor do failures it finds when
 * it starts again.
 */
describe.runIf(nspawnWorksHere('systemd units') && systemdTestbedHere('systemd units'))('nspawn agents as systemd units', () => {
  const daemon = new HiveDaemon(HiveDaemon.tempHome(), {})
  let bed: SystemdTestbed | undefined
  let fake: FakeAnthropic | undefined

  beforeAll(async () => {
    // What the daemon hands its units must exist at the same paths inside.
    bed = await SystemdTestbed.boot({ readWrite: [daemon.home], readOnly: [InstallPaths.PROJECT_ROOT, '/etc/ssl/certs', '/etc/alternatives'] })
    fake = await startFakeAnthropic({ scripts: [], defaultText: 'Noted.' })
    daemon.setEnv({ ...claudeTestEnv(fake.url), HIVE_RUNTIME: 'nspawn', DBUS_SYSTEM_BUS_ADDRESS: bed.busAddress })
    await daemon.start()
    for (const name of ['alpha', 'beta']) {
      const spawned = await daemon.cli('spawn', name)
      expect(spawned.code, spawned.stderr).toBe(0)
    }
  })

  afterAll(async () => {
    await daemon.stop()
    await fake?.close()
    await bed?.stop()
    daemon.removeHome()
  })

  const testbed = (): SystemdTestbed => {
    if (!bed) throw new Error('no testbed')
    return bed
  }

  const running = async (agent: string) => {
    await expect.poll(async () => (await testbed().unitProperties(unitOf(agent), ['ActiveState'])).ActiveState, { timeout: 30_000 }).toBe('active')
    await expect
      .poll(async () => (await daemon.cliJson<{ name: string; state: string }[]>('list', '--json')).find((a) => a.name === agent)?.state, { timeout: 30_000 })
      .toBe('running')
  }

  it('runs every agent as a transient unit whose properties are its agent.json limits', async () => {
    for (const agent of ['manager', 'alpha', 'beta']) await running(agent)
    const alpha = await testbed().unitProperties(unitOf('alpha'), ['MemoryMax', 'TasksMax', 'CPUWeight', 'Transient', 'Description', 'ExecMainPID'])
    expect(alpha).toMatchObject({ MemoryMax: String(2048 * MiB), TasksMax: '512', CPUWeight: '100', Transient: 'yes' })
    expect(alpha.Description).toBe(`hyperhive agent alpha (${daemon.home})`)
    // Its main process is nspawn, and the agent runs in a user namespace inside it.
    expect((await testbed().exec(['cat', `/proc/${alpha.ExecMainPID}/comm`])).stdout.trim()).toBe('systemd-nspawn')
    // Its output reaches the daemon's rotated log through the socket systemd connected to.
    expect(statSync(join(daemon.home, 'run', 'unit-logs', 'alpha.sock')).isSocket()).toBe(true)
    await expect.poll(() => readFileSync(join(daemon.home, 'logs', 'alpha.log'), 'utf8'), { timeout: 30_000 }).toContain('turn loop started')

    // New limits in the applied agent.json are the unit's properties after a restart.
    const repo = join(daemon.home, 'applied', 'beta')
    const config = JSON.parse(readFileSync(join(repo, 'agent.json'), 'utf8')) as Record<string, unknown>
    writeFileSync(join(repo, 'agent.json'), JSON.stringify({ ...config, limits: BETA_LIMITS }, null, 2) + '\n')
    execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@hive', '-C', repo, 'commit', '-qam', 'beta: limits'])
    expect((await daemon.cli('restart', 'beta')).code).toBe(0)
    await running('beta')
    expect(await testbed().unitProperties(unitOf('beta'), ['MemoryMax', 'TasksMax', 'CPUWeight'])).toEqual({
      MemoryMax: String(BETA_LIMITS.memoryMB * MiB),
      TasksMax: String(BETA_LIMITS.pids),
      CPUWeight: String(BETA_LIMITS.cpuWeight),
    })
  })

  it('brings a unit killed behind its back to the manager as container_crash within 1 s, with systemd’s result', async () => {
    const before = crashEvents(daemon.home).length
    const killedAt = Date.now()
    await testbed().exec(['systemctl', 'kill', '--signal=KILL', unitOf('alpha')])
    await expect.poll(() => crashEvents(daemon.home).length, { timeout: 10_000, interval: 20 }).toBe(before + 1)
    const crash = crashEvents(daemon.home).at(-1)
    expect(crash).toMatchObject({ event: 'container_crash', agent: 'alpha', result: 'signal' })
    expect(crash?.note).toContain('SIGKILL')
    const latency = (crash?.sentAt ?? Infinity) - killedAt
    process.stderr.write(`◆ containers.crash_event_ms (systemctl kill → manager's inbox): ${latency} ms\n`)
    expect(latency).toBeLessThan(CRASH_EVENT_BOUND_MS)
    expect((await testbed().unitProperties(unitOf('alpha'), ['ActiveState', 'Result'])).ActiveState).toBe('failed')
    await expect.poll(async () => (await daemon.cliJson<{ name: string; state: string }[]>('list', '--json')).find((a) => a.name === 'alpha')?.state).toBe('failed')
  })

  it('never reports the daemon’s own kill, start, restart or destroy as a crash', async () => {
    const before = crashEvents(daemon.home).length
    for (const verb of ['kill', 'start', 'restart']) {
      const r = await daemon.cli(verb, 'beta')
      expect(r.code, `${verb}: ${r.stderr}`).toBe(0)
      if (verb === 'kill') expect((await testbed().unitProperties(unitOf('beta'), ['ActiveState'])).ActiveState).toBe('inactive')
      else await running('beta')
    }
    expect((await daemon.cli('destroy', 'beta')).code).toBe(0)
    expect((await testbed().unitProperties(unitOf('beta'), ['ActiveState', 'LoadState'])).ActiveState).toBe('inactive')
    await sleep(QUIET_MS)
    expect(crashEvents(daemon.home).slice(before)).toEqual([])
  })

  it('a daemon SIGKILL takes the agent units down within 5 s, and a restarted daemon seeds from them: failures from before its start fire nothing', async () => {
    const before = crashEvents(daemon.home).length
    // alpha's unit failed above and stays failed; the manager's goes down while no daemon is there:
    // systemd does not stop a unit for a daemon it knows nothing of, the agent does (its daemon's
    // connection closed), and its container ends with it.
    expect((await testbed().unitProperties(unitOf('alpha'), ['ActiveState'])).ActiveState).toBe('failed')
    expect((await testbed().unitProperties(unitOf('manager'), ['ActiveState'])).ActiveState).toBe('active')
    const crashedAt = Date.now()
    await daemon.crash()
    await expect.poll(async () => (await testbed().unitProperties(unitOf('manager'), ['ActiveState'])).ActiveState, { timeout: 5_000, interval: 50 }).toBe('failed')
    console.log(`the manager's unit was down ${Date.now() - crashedAt} ms after the daemon's SIGKILL`)

    await daemon.start()
    // It starts its agents again (both want to run) without calling either start a crash.
    for (const agent of ['manager', 'alpha']) await running(agent)
    await sleep(QUIET_MS)
    expect(crashEvents(daemon.home).slice(before)).toEqual([])

    // And the watcher is live again after the restart.
    const killedAt = Date.now()
    await testbed().exec(['systemctl', 'kill', '--signal=KILL', unitOf('alpha')])
    await expect.poll(() => crashEvents(daemon.home).length, { timeout: 10_000, interval: 20 }).toBe(before + 1)
    expect(crashEvents(daemon.home).at(-1)).toMatchObject({ agent: 'alpha', result: 'signal' })
    expect((crashEvents(daemon.home).at(-1)?.sentAt ?? Infinity) - killedAt).toBeLessThan(CRASH_EVENT_BOUND_MS)
  })

  it('keeps watching across a restart of the system bus: a crash while it was away is reported when it is back', async () => {
    expect((await daemon.cli('start', 'alpha')).code).toBe(0)
    await running('alpha')
    const before = crashEvents(daemon.home).length
    const backBefore = daemon.log().split('the system bus is back').length
    // dbus.socket keeps the listening socket; the daemon's connection ends with the old dbus-daemon.
    await testbed().exec(['systemctl', 'stop', 'dbus.service'])
    await testbed().exec(['systemctl', 'kill', '--signal=KILL', unitOf('alpha')])
    await testbed().exec(['systemctl', 'start', 'dbus.service'])
    await expect.poll(() => daemon.log().split('the system bus is back').length, { timeout: 15_000 }).toBeGreaterThan(backBefore)
    await expect.poll(() => crashEvents(daemon.home).slice(before), { timeout: 5_000 }).toEqual([expect.objectContaining({ agent: 'alpha', result: 'signal' })])

    // And live again after it: the manager's own stop and start are no crash, a kill is.
    expect((await daemon.cli('start', 'alpha')).code).toBe(0)
    await running('alpha')
    const killedAt = Date.now()
    await testbed().exec(['systemctl', 'kill', '--signal=KILL', unitOf('alpha')])
    await expect.poll(() => crashEvents(daemon.home).length, { timeout: 10_000, interval: 20 }).toBe(before + 2)
    expect((crashEvents(daemon.home).at(-1)?.sentAt ?? Infinity) - killedAt).toBeLessThan(CRASH_EVENT_BOUND_MS)
  })
})
