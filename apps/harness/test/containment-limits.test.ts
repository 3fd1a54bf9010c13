import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { agentPidOf, nspawnPidOf, nspawnWorksHere } from './support/containers.ts'
import { useHive } from './support/hive-fixture.ts'
import type { HiveDaemon } from './support/hive-daemon.ts'
import { connectAdmin, connectAgent } from './support/sockets.ts'
import { TerminalClient } from './support/terminal-client.ts'
import { managerEvents } from './support/manager-events.ts'

/** The worker's applied limits: small enough to hit from a terminal in a few seconds. */
const WORKER_LIMITS = { memoryMB: 256, pids: 64, cpuWeight: 100 }
const MiB = 1024 * 1024

interface AgentRow {
  name: string
  state: string
}

/** cgroup v2 with memory+pids, or the v1 memory and pids hierarchies: what the daemon limits with. */
function cgroupsHere(): boolean {
  const v2 = (() => {
    try {
      const controllers = readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/)
      return controllers.includes('memory') && controllers.includes('pids')
    } catch {
      return false // no unified hierarchy at the root
    }
  })()
  const v1 = existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') && existsSync('/sys/fs/cgroup/pids/cgroup.procs')
  if (!v2 && !v1) process.stderr.write('⚠ no cgroup memory+pids hierarchy here: container limit tests skipped\n')
  return v2 || v1
}

interface CgroupDirs {
  memory: string
  pids: string
  /** The file holding the memory limit in bytes. */
  memoryLimit: string
}

/** Where a process sits: its v1 memory and pids cgroups, or its v2 cgroup. */
function cgroupOf(pid: number): CgroupDirs {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')
  const v1 = (controller: string) => lines.map((l) => l.split(':')).find(([, controllers]) => controllers?.split(',').includes(controller))?.[2]
  const memory = v1('memory')
  const pids = v1('pids')
  if (memory !== undefined && pids !== undefined) {
    return { memory: `/sys/fs/cgroup/memory${memory}`, pids: `/sys/fs/cgroup/pids${pids}`, memoryLimit: 'memory.limit_in_bytes' }
  }
  // v2: nspawn moves itself to `supervisor` below the cgroup the daemon made.
  const unified = (lines.find((l) => l.startsWith('0::'))?.slice(3) ?? '').replace(/\/(supervisor|payload)$/, '')
  return { memory: `/sys/fs/cgroup${unified}`, pids: `/sys/fs/cgroup${unified}`, memoryLimit: 'memory.max' }
}

const procsIn = (dir: string): number[] =>
  readFileSync(join(dir, 'cgroup.procs'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(Number)

const commOf = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return '' // exited meanwhile
  }
}

/** Everything an operator relies on still answers: the admin socket and another agent's socket. */
async function hiveAnswers(daemon: HiveDaemon): Promise<void> {
  const admin = await connectAdmin(daemon.home)
  try {
    expect(await admin.call('status')).toMatchObject({ runtime: 'nspawn', agents: 3 })
    const list = await admin.call('list', {})
    expect(list.find((a) => a.name === 'manager')?.state).toBe('running')
    expect(list.find((a) => a.name === 'other')?.state).toBe('running')
  } finally {
    admin.close()
  }
  const other = await connectAgent(daemon.home, 'other')
  try {
    expect(await other.call('whoami')).toEqual({ name: 'other', role: 'agent' })
  } finally {
    other.close()
  }
}

async function openShell(daemon: HiveDaemon, agent: string): Promise<TerminalClient> {
  const res = await fetch(daemon.loginUrl, { redirect: 'manual' })
  const headers = { Cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '', Origin: daemon.origin }
  return TerminalClient.open(`${daemon.origin.replace('http', 'ws')}/pty/${agent}?kind=shell`, headers)
}

/** Each test starts from a running worker, whatever the one before did to it. */
async function workerRunning(daemon: HiveDaemon): Promise<CgroupDirs> {
  expect((await daemon.cli('start', 'worker')).code).toBe(0)
  await expect.poll(() => agentPidOf(daemon.home, 'worker'), { timeout: 30_000 }).toBeDefined()
  return cgroupOf(nspawnPidOf(daemon.home, 'worker') ?? 0)
}

/**
 * One agent's container cannot take the host: it runs in a cgroup with its applied memory, pids
 * and CPU limits, and when it breaks them it dies alone — the daemon and the other agents go on
 * answering, and the manager hears why.
 */
describe.runIf(nspawnWorksHere('container limits') && cgroupsHere())('container limits', () => {
  const { daemon } = useHive({ agents: ['worker', 'other'], env: { HIVE_RUNTIME: 'nspawn' } })

  // The applied repo is root's: the test (root) commits the limits there, as an approval would.
  beforeAll(async () => {
    expect((await daemon.cli('kill', 'worker')).code).toBe(0)
    const repo = join(daemon.home, 'applied', 'worker')
    const config = JSON.parse(readFileSync(join(repo, 'agent.json'), 'utf8')) as Record<string, unknown>
    writeFileSync(join(repo, 'agent.json'), JSON.stringify({ ...config, limits: WORKER_LIMITS }, null, 2) + '\n')
    execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@hive', '-C', repo, 'commit', '-qam', 'worker: tight limits'])
  })

  it("puts each container in a cgroup with its agent's limits, which the daemon never joins", async () => {
    const worker = await workerRunning(daemon)
    expect(Number(readFileSync(join(worker.memory, worker.memoryLimit), 'utf8'))).toBe(WORKER_LIMITS.memoryMB * MiB)
    expect(readFileSync(join(worker.pids, 'pids.max'), 'utf8').trim()).toBe(String(WORKER_LIMITS.pids))
    expect(procsIn(worker.memory)).toContain(agentPidOf(daemon.home, 'worker'))
    expect(procsIn(worker.memory)).not.toContain(daemon.pid)
    expect(cgroupOf(daemon.pid ?? 0).memory).not.toBe(worker.memory)

    const other = cgroupOf(nspawnPidOf(daemon.home, 'other') ?? 0)
    expect(other.memory).not.toBe(worker.memory)
    expect(Number(readFileSync(join(other.memory, other.memoryLimit), 'utf8'))).toBe(2048 * MiB) // the default

    // Scratch tmpfs are bounded (a quarter of the memory limit each), not a share of host RAM.
    const mounts = readFileSync(`/proc/${agentPidOf(daemon.home, 'worker')}/mountinfo`, 'utf8').split('\n')
    for (const point of ['/tmp', '/var/tmp']) {
      const mount = mounts.filter((m) => m.split(' ')[4] === point).at(-1)
      expect(mount, point).toMatch(/ - tmpfs .*size=65536k/)
    }
  })

  it('stops a fork bomb at the pids limit, while the daemon and the other agent keep answering', async () => {
    const worker = await workerRunning(daemon)
    const t = await openShell(daemon, 'worker')
    try {
      const at = t.offset
      // dash, not bash: bash retries a failed fork for seconds; dash gives up at once.
      t.type(`sh -c 'for i in $(seq 1 300); do sleep 60 & done; wait'; echo "BOMB-$((6*7))-OVER"\r`)
      const end = await t.waitFor('BOMB-42-OVER', at, 60_000)
      expect(t.bytes.subarray(at, end).toString()).toMatch(/Cannot fork|Resource temporarily unavailable/)
      const sleeps = procsIn(worker.pids).filter((p) => commOf(p) === 'sleep')
      expect(sleeps.length).toBeGreaterThan(0)
      expect(sleeps.length).toBeLessThan(WORKER_LIMITS.pids)
      expect(Number(readFileSync(join(worker.pids, 'pids.current'), 'utf8'))).toBeLessThanOrEqual(WORKER_LIMITS.pids)
      expect(readFileSync(join(worker.pids, 'pids.events'), 'utf8')).toMatch(/^max [1-9]/m)
      await hiveAnswers(daemon)
    } finally {
      t.close()
      // The bomb's leftovers go from the host (the worker itself has no pid to spare for `kill`).
      if (existsSync(worker.pids)) for (const p of procsIn(worker.pids).filter((p) => commOf(p) === 'sleep')) process.kill(p, 'SIGKILL')
    }
  })

  it('kills a container that allocates past its memory limit alone, and tells the manager why', async () => {
    const worker = await workerRunning(daemon)
    const t = await openShell(daemon, 'worker')
    try {
      // 1 GiB, touched, from a terminal: the shell nsenter opens is in the agent's cgroup too.
      t.type(`node -e 'const a = []; for (let i = 0; i < 16; i++) a.push(Buffer.alloc(64 << 20, 1)); console.log("ALLOCATED", a.length)'\r`)
      await expect.poll(async () => (await daemon.cliJson<AgentRow[]>('list', '--json')).find((a) => a.name === 'worker')?.state, { timeout: 60_000, interval: 500 }).toBe('failed')
      expect(t.text).not.toContain('ALLOCATED 16')
    } finally {
      t.close()
    }
    expect(() => process.kill(daemon.pid ?? 0, 0)).not.toThrow()
    await hiveAnswers(daemon)

    await expect
      .poll(() => managerEvents(daemon.home, 'container_crash'), { timeout: 20_000 })
      .toContainEqual(expect.objectContaining({ event: 'container_crash', agent: 'worker', note: expect.stringContaining('killed: out of memory (limit 256 MB)') as unknown }))
    // The cgroup goes with the container.
    await expect.poll(() => existsSync(worker.memory) || existsSync(worker.pids), { timeout: 10_000 }).toBe(false)
  })
})
