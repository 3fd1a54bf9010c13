import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { CgroupLimits, cgroupScope } from './cgroup-limits.ts'

const LIMITS = { memoryMB: 256, pids: 64, cpuWeight: 50 }
const BYTES = String(256 * 1024 * 1024)
const roots: string[] = []

/** A temp dir standing in for /sys/fs/cgroup, holding `files` (the kernel's would appear on mkdir). */
function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'hive-cgroup-'))
  roots.push(root)
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), content)
  }
  return root
}

/** Files the kernel shows in an agent's cgroup, written after the daemon's start-up sweep. */
function kernelFiles(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), content)
  }
}

/** cgroupfs drops the control files with the directory; a temp dir needs them removed too. */
const rmTree = (path: string) => rmSync(path, { recursive: true })

function limitsAt(root: string, scope = 's1') {
  const lines: string[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) })
  return { cgroups: new CgroupLimits({ log, scope, root, rmdir: rmTree }), lines }
}

const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8')

/** Runs argv as the daemon would spawn it; the inner command prints its own pid. */
function run(argv: string[]) {
  const [command, ...args] = argv
  return spawnSync(command ?? '', args, { encoding: 'utf8' })
}

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true })
})

describe('CgroupLimits under cgroup v2', () => {
  const v2 = () =>
    fakeRoot({
      'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n',
      'cgroup.subtree_control': '',
    })

  it('enables the controllers down to hive/<scope>/<agent> and writes the limits there', async () => {
    const root = v2()
    const { cgroups } = limitsAt(root)
    expect(cgroups.mode).toBe('v2')
    // Present on kernels with swap accounting: set to 0.
    kernelFiles(root, { 'hive/s1/worker/memory.swap.max': 'max\n' })
    await cgroups.create('worker', LIMITS)
    for (const level of ['', 'hive', 'hive/s1']) expect(read(root, join(level, 'cgroup.subtree_control'))).toBe('+memory +pids +cpu')
    expect(read(root, 'hive/s1/worker/memory.max')).toBe(BYTES)
    expect(read(root, 'hive/s1/worker/memory.swap.max')).toBe('0')
    expect(read(root, 'hive/s1/worker/pids.max')).toBe('64')
    expect(read(root, 'hive/s1/worker/cpu.weight')).toBe('50')
  })

  it('puts the wrapped command in the cgroup from its first instruction, never the caller', async () => {
    const root = v2()
    const cgroup = await limitsAt(root).cgroups.create('worker', LIMITS)
    const result = run(cgroup?.wrap(['/bin/sh', '-c', 'echo $$']) ?? [])
    expect(result.status).toBe(0)
    // The same pid: the wrapper exec'd the command after joining.
    expect(read(root, 'hive/s1/worker/cgroup.procs').trim()).toBe(result.stdout.trim())
    expect(result.stdout.trim()).not.toBe(String(process.pid))
  })

  it('starts nothing when it cannot join', async () => {
    const root = v2()
    const cgroup = await limitsAt(root).cgroups.create('worker', LIMITS)
    rmSync(join(root, 'hive/s1/worker'), { recursive: true })
    const strict = run(cgroup?.wrap(['/bin/echo', 'ran']) ?? [])
    expect(strict.status).not.toBe(0)
    expect(strict.stdout).toBe('')
  })

  it('says why the container died from the counters that moved since it was created', async () => {
    const root = fakeRoot({ 'cgroup.controllers': 'memory pids\n' })
    const { cgroups } = limitsAt(root)
    // A reused cgroup (still busy at start-up): counts from an earlier container are not this one's.
    kernelFiles(root, { 'hive/s1/worker/memory.events': 'low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\n' })
    const cgroup = await cgroups.create('worker', LIMITS)
    expect(existsSync(join(root, 'hive/s1/worker/cpu.weight'))).toBe(false) // no cpu controller here
    expect(cgroup?.exitReason()).toBeUndefined()
    expect(cgroup?.oomKilled()).toBe(false)
    writeFileSync(join(root, 'hive/s1/worker/memory.events'), 'low 0\nhigh 0\nmax 12\noom 3\noom_kill 3\n')
    writeFileSync(join(root, 'hive/s1/worker/pids.events'), 'max 4\n')
    expect(cgroup?.oomKilled()).toBe(true)
    expect(cgroup?.exitReason()).toBe('killed: out of memory (limit 256 MB); hit its pids limit (64)')
  })

  it('removes the agent cgroup, and the scope once it is empty', async () => {
    const root = v2()
    const { cgroups } = limitsAt(root)
    const worker = await cgroups.create('worker', LIMITS)
    const other = await cgroups.create('other', LIMITS)
    // nspawn makes these below its own cgroup under v2.
    mkdirSync(join(root, 'hive/s1/worker/payload'))
    await worker?.remove()
    expect(existsSync(join(root, 'hive/s1/worker'))).toBe(false)
    expect(existsSync(join(root, 'hive/s1/other'))).toBe(true)
    await other?.remove()
    expect(existsSync(join(root, 'hive/s1'))).toBe(false)
    expect(existsSync(join(root, 'hive'))).toBe(true)
  })

  it('sweeps the empty cgroups a killed daemon left in its scope', () => {
    const root = fakeRoot({ 'cgroup.controllers': 'memory pids\n', 'hive/s1/gone/memory.max': 'max\n', 'hive/s2/theirs/memory.max': 'max\n' })
    limitsAt(root)
    expect(existsSync(join(root, 'hive/s1'))).toBe(false)
    expect(existsSync(join(root, 'hive/s2/theirs'))).toBe(true) // another daemon's
  })
})

describe('CgroupLimits under cgroup v1', () => {
  const v1 = () =>
    fakeRoot({
      'memory/memory.limit_in_bytes': '9223372036854771712\n',
      'pids/cgroup.procs': '',
      'cpu/cpu.shares': '1024\n',
    })

  it('writes memory (and memory+swap), pids and cpu.shares in one cgroup per hierarchy', async () => {
    const root = v1()
    const { cgroups } = limitsAt(root)
    expect(cgroups.mode).toBe('v1')
    kernelFiles(root, { 'memory/hive/s1/worker/memory.memsw.limit_in_bytes': '9223372036854771712\n' })
    const cgroup = await cgroups.create('worker', LIMITS)
    expect(read(root, 'memory/hive/s1/worker/memory.limit_in_bytes')).toBe(BYTES)
    expect(read(root, 'memory/hive/s1/worker/memory.memsw.limit_in_bytes')).toBe(BYTES)
    expect(read(root, 'pids/hive/s1/worker/pids.max')).toBe('64')
    expect(read(root, 'cpu/hive/s1/worker/cpu.shares')).toBe('512') // weight 50 of 100 → half of 1024

    const pid = run(cgroup?.wrap(['/bin/sh', '-c', 'echo $$']) ?? []).stdout.trim()
    for (const h of ['memory', 'pids', 'cpu']) expect(read(root, `${h}/hive/s1/worker/cgroup.procs`).trim()).toBe(pid)
  })

  it('reads oom_kill from memory.oom_control, the pids max count, and failcnt as a last resort', async () => {
    const root = v1()
    const cgroup = await limitsAt(root).cgroups.create('worker', LIMITS)
    writeFileSync(join(root, 'memory/hive/s1/worker/memory.failcnt'), '17\n')
    expect(cgroup?.exitReason()).toBe('ran at its memory limit (256 MB)')
    writeFileSync(join(root, 'pids/hive/s1/worker/pids.events'), 'max 1\n')
    expect(cgroup?.exitReason()).toBe('hit its pids limit (64)')
    writeFileSync(join(root, 'memory/hive/s1/worker/memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n')
    expect(cgroup?.exitReason()).toBe('killed: out of memory (limit 256 MB); hit its pids limit (64)')
    await cgroup?.remove()
    for (const h of ['memory', 'pids', 'cpu']) expect(existsSync(join(root, `${h}/hive/s1/worker`))).toBe(false)
  })

  it('uses the hierarchies there are and names the missing ones', async () => {
    const root = fakeRoot({ 'memory/memory.limit_in_bytes': 'max\n' })
    const { cgroups, lines } = limitsAt(root)
    expect(cgroups.mode).toBe('v1')
    expect(lines.join('')).toContain('cgroup v1 without pids, cpu')
    await cgroups.create('worker', LIMITS)
    expect(read(root, 'memory/hive/s1/worker/memory.limit_in_bytes')).toBe(BYTES)
    expect(existsSync(join(root, 'pids'))).toBe(false)
  })
})

describe('CgroupLimits without cgroups', () => {
  it('warns loudly and runs containers unlimited', async () => {
    const { cgroups, lines } = limitsAt(fakeRoot({ 'unified/cgroup.controllers': 'hugetlb\n' }))
    expect(cgroups.mode).toBe('none')
    expect(lines.join('')).toContain('WITHOUT memory, pids or CPU limits')
    expect(await cgroups.create('worker', LIMITS)).toBeNull()
  })
})

describe('cgroupScope', () => {
  it('separates the daemons of different homes, and is stable for one', () => {
    expect(cgroupScope('/var/lib/hive')).toBe(cgroupScope('/var/lib/hive'))
    expect(cgroupScope('/var/lib/hive')).not.toBe(cgroupScope('/tmp/hive-test-1'))
    expect(cgroupScope('/var/lib/hive')).toMatch(/^[0-9a-f]{12}$/)
  })
})
