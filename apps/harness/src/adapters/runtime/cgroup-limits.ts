import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { AgentConfig } from '../../domain/agent-config.ts'

type Limits = AgentConfig['limits']

const Cgroup = {
  /** Where the kernel's cgroup hierarchies are mounted. */
  ROOT: '/sys/fs/cgroup',
  /** The daemons' subtree in each hierarchy (our own `hive.slice`): hive/<scope>/<agent>. */
  BASE: 'hive',
  /** ms between attempts to remove a cgroup whose last tasks are still being reaped. */
  REMOVE_RETRY_MS: 100,
  /** ms of such attempts before the cgroup is left behind (and logged). */
  REMOVE_WAIT_MS: 3_000,
  /** cgroup v1 `cpu.shares` of cpu.weight 100: both are the kernel's "one equal share". */
  V1_SHARES_PER_100_WEIGHT: 1024,
  /** The smallest `cpu.shares` the kernel accepts. */
  V1_MIN_SHARES: 2,
} as const

const MiB = 1024 * 1024

/** What the kernel counted in a cgroup; compared with the values at creation to say why it died. */
interface Counters {
  /** Processes the OOM killer killed in it. */
  oomKills: number
  /** Forks refused at `pids.max`. */
  pidsMax: number
  /** Times memory use hit the limit (reclaim; not necessarily fatal). */
  memoryMax: number
}

/**
 * The directory of an agent's cgroup per controller: under v2 one directory for all of them, under
 * v1 one per hierarchy (null when this host lacks it).
 */
interface ControllerDirs {
  version: 1 | 2
  memory: string | null
  pids: string | null
  cpu: string | null
}

/** Mounted hierarchies this daemon can create cgroups in. */
type Hierarchies = { version: 2; root: string; cpu: boolean } | { version: 1; memory: string | null; pids: string | null; cpu: string | null }

interface CgroupLimitsOptions {
  log: Logger
  /** Separates the daemons sharing a host (one per HIVE_HOME; see `cgroupScope`). */
  scope: string
  /** Where cgroup hierarchies are mounted; a temp dir stands in for it in tests. */
  root?: string
  /** cgroupfs removes a directory with its control files; a temp-dir stand-in needs a recursive rm. */
  rmdir?: (path: string) => void
}

/** A per-daemon cgroup scope: two daemons (HIVE_HOMEs) on a host may both run a `worker`. */
export function cgroupScope(home: string): string {
  return createHash('sha256').update(home).digest('hex').slice(0, 12)
}

/**
 * Memory, pids and CPU limits for agent containers, in cgroups the daemon makes by hand:
 * `<root>/hive/<scope>/<agent>` under the unified hierarchy (cgroup v2, memory+pids controllers),
 * else `<root>/{memory,pids,cpu}/hive/<scope>/<agent>` (cgroup v1). With neither it warns loudly
 * and containers run unlimited.
 *
 * SEAM: with systemd as PID 1 the natural path is a transient scope per container
 * (`systemd-run --scope -p MemoryMax= -p TasksMax= -p CPUWeight=`), so systemd owns the tree; this
 * host has no systemd (reference/systemd-testbed.md), so that is not implemented.
 */
export class CgroupLimits {
  /** What this host offers; `none` means containers run without limits. */
  readonly mode: 'v2' | 'v1' | 'none'
  private readonly hierarchies: Hierarchies | null
  private readonly rmdir: (path: string) => void
  /** Removals in progress: a restart waits for its agent's old cgroup to go first. */
  private readonly removing = new Map<string, Promise<void>>()

  constructor(private readonly opts: CgroupLimitsOptions) {
    this.rmdir = opts.rmdir ?? rmdirSync
    const h = this.usable(detect(opts.root ?? Cgroup.ROOT))
    this.hierarchies = h
    this.mode = h === null ? 'none' : h.version === 2 ? 'v2' : 'v1'
    if (h === null) {
      opts.log.warn('⚠ no usable cgroup hierarchy (v2 with memory+pids, or v1 memory/pids): agent containers run WITHOUT memory, pids or CPU limits')
    } else if (h.version === 1) {
      const missing = (['memory', 'pids', 'cpu'] as const).filter((c) => h[c] === null)
      if (missing.length > 0) opts.log.warn({ missing }, `⚠ cgroup v1 without ${missing.join(', ')}: agent containers have no ${missing.join('/')} limit`)
      else opts.log.info('agent containers are limited through cgroup v1 (memory, pids, cpu)')
    } else {
      opts.log.info({ cpu: h.cpu }, 'agent containers are limited through cgroup v2')
    }
    this.sweep()
  }

  /**
   * A fresh cgroup for the agent's next container, limits written; null when the host has none.
   * Nothing joins it yet: `wrap` the container's argv so its first process does.
   */
  async create(agent: string, limits: Limits): Promise<AgentCgroup | null> {
    if (this.hierarchies === null) return null
    await this.removing.get(agent)
    const dirs = this.dirsOf(agent)
    try {
      this.make(dirs)
    } catch (e) {
      // Another agent's removal took the empty scope directory away meanwhile: make it again.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      this.make(dirs)
    }
    writeLimits(dirs, limits)
    return new AgentCgroup(dirs, limits, () => this.remove(agent, dirs))
  }

  private dirsOf(agent: string): ControllerDirs {
    const h = this.hierarchies
    if (h === null) throw new Error('no cgroup hierarchy')
    if (h.version === 2) {
      const dir = join(h.root, Cgroup.BASE, this.opts.scope, agent)
      return { version: 2, memory: dir, pids: dir, cpu: h.cpu ? dir : null }
    }
    const under = (mount: string | null) => (mount === null ? null : join(mount, Cgroup.BASE, this.opts.scope, agent))
    return { version: 1, memory: under(h.memory), pids: under(h.pids), cpu: under(h.cpu) }
  }

  /** v2 needs the controllers enabled on every level down to the agent's; v1 just a directory. */
  private make(dirs: ControllerDirs): void {
    const h = this.hierarchies
    if (h?.version === 2) {
      const enable = ['+memory', '+pids', ...(h.cpu ? ['+cpu'] : [])].join(' ')
      let level = h.root
      for (const next of [Cgroup.BASE, this.opts.scope]) {
        writeFileSync(join(level, 'cgroup.subtree_control'), enable)
        level = join(level, next)
        mkdirSync(level, { recursive: true })
      }
      writeFileSync(join(level, 'cgroup.subtree_control'), enable)
    }
    for (const dir of uniqueDirs(dirs)) mkdirSync(dir, { recursive: true })
  }

  private remove(agent: string, dirs: ControllerDirs): Promise<void> {
    const pending = (async () => {
      for (const dir of uniqueDirs(dirs)) await this.removeWhenEmpty(dir)
      for (const dir of uniqueDirs(dirs)) this.removeScopeIfEmpty(join(dir, '..'))
    })().finally(() => this.removing.delete(agent))
    this.removing.set(agent, pending)
    return pending
  }

  /** rmdir fails with EBUSY while the container's last tasks are still being reaped. */
  private async removeWhenEmpty(dir: string): Promise<void> {
    const deadline = Date.now() + Cgroup.REMOVE_WAIT_MS
    for (;;) {
      try {
        this.removeTree(dir)
        return
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if (code === 'ENOENT') return
        if (code === 'EBUSY' && Date.now() < deadline) {
          await sleep(Cgroup.REMOVE_RETRY_MS)
          continue
        }
        this.opts.log.warn({ err: e, dir }, 'could not remove an agent cgroup; it is left behind')
        return
      }
    }
  }

  /** Children first: nspawn makes `payload`/`supervisor` below its own cgroup under v2. */
  private removeTree(dir: string): void {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) this.removeTree(join(dir, entry.name))
    }
    this.rmdir(dir)
  }

  private removeScopeIfEmpty(scopeDir: string): void {
    try {
      if (readdirSync(scopeDir, { withFileTypes: true }).some((e) => e.isDirectory())) return
      this.rmdir(scopeDir)
    } catch (e) {
      // Gone already, or an agent's cgroup appeared in it meanwhile: either way it stays right.
      if (!['ENOENT', 'EBUSY', 'ENOTEMPTY'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e
    }
  }

  /** Cgroups left by a daemon that was killed: the empty ones go, busy ones are reused on start. */
  private sweep(): void {
    const h = this.hierarchies
    if (h === null) return
    const mounts = h.version === 2 ? [h.root] : [h.memory, h.pids, h.cpu].filter((m): m is string => m !== null)
    for (const mount of mounts) {
      const scopeDir = join(mount, Cgroup.BASE, this.opts.scope)
      if (!existsSync(scopeDir)) continue
      for (const entry of readdirSync(scopeDir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue
        try {
          this.removeTree(join(scopeDir, entry.name))
        } catch (e) {
          // EBUSY: a container of a previous daemon is still in it; its agent's start stops it.
          if ((e as NodeJS.ErrnoException).code !== 'EBUSY') this.opts.log.warn({ err: e, dir: join(scopeDir, entry.name) }, 'could not remove a stale agent cgroup')
        }
      }
      this.removeScopeIfEmpty(scopeDir)
    }
  }

  /** Keeps the hierarchies where this process may make directories (root, not read-only). */
  private usable(h: Hierarchies | null): Hierarchies | null {
    if (h === null) return null
    const canMake = (mount: string | null): string | null => {
      if (mount === null) return null
      try {
        if (h.version === 2) writeFileSync(join(mount, 'cgroup.subtree_control'), ['+memory', '+pids', ...(h.cpu ? ['+cpu'] : [])].join(' '))
        mkdirSync(join(mount, Cgroup.BASE), { recursive: true })
        return mount
      } catch (e) {
        this.opts.log.warn({ err: e, mount }, 'cannot create cgroups here')
        return null
      }
    }
    if (h.version === 2) return canMake(h.root) === null ? null : h
    const v1 = { version: 1 as const, memory: canMake(h.memory), pids: canMake(h.pids), cpu: canMake(h.cpu) }
    // CPU weight alone contains nothing: memory or pids is what protects the host.
    return v1.memory === null && v1.pids === null ? null : v1
  }
}

/** One agent container's cgroup, from its creation until `remove` after the container exited. */
export class AgentCgroup {
  private readonly baseline: Counters

  constructor(
    private readonly dirs: ControllerDirs,
    readonly limits: Limits,
    private readonly release: () => Promise<void>,
  ) {
    this.baseline = this.counters()
  }

  /**
   * `argv` behind a tiny shell that writes its own pid into the cgroup, then execs it: the
   * container is inside from its first instruction, its children inherit it, and the daemon
   * (which only forks the shell) never joins. If it cannot join, nothing starts.
   */
  wrap(argv: readonly string[]): string[] {
    const enter = uniqueDirs(this.dirs)
      .map((d) => `echo $$ > ${shellQuote(`${d}/cgroup.procs`)}`)
      .join(' && ')
    return ['/bin/sh', '-c', `${enter} && exec "$@"`, 'sh', ...argv]
  }

  /** Whether the OOM killer has killed anything in it since it was created. */
  oomKilled(): boolean {
    return this.counters().oomKills > this.baseline.oomKills
  }

  /** Why its container died, from the counters (read before `remove`); undefined if they say nothing. */
  exitReason(): string | undefined {
    const now = this.counters()
    const reasons: string[] = []
    if (now.oomKills > this.baseline.oomKills) reasons.push(`killed: out of memory (limit ${this.limits.memoryMB} MB)`)
    if (now.pidsMax > this.baseline.pidsMax) reasons.push(`hit its pids limit (${this.limits.pids})`)
    if (reasons.length === 0 && now.memoryMax > this.baseline.memoryMax) reasons.push(`ran at its memory limit (${this.limits.memoryMB} MB)`)
    return reasons.length > 0 ? reasons.join('; ') : undefined
  }

  /** rmdir once the container's tasks are gone (retried briefly; logged if it stays busy). */
  remove(): Promise<void> {
    return this.release()
  }

  private counters(): Counters {
    const { memory, pids } = this.dirs
    const pidsMax = pids === null ? 0 : field(pids, 'pids.events', 'max')
    if (memory === null) return { oomKills: 0, pidsMax, memoryMax: 0 }
    if (this.dirs.version === 2) return { oomKills: field(memory, 'memory.events', 'oom_kill'), pidsMax, memoryMax: field(memory, 'memory.events', 'max') }
    return {
      oomKills: field(memory, 'memory.oom_control', 'oom_kill'),
      pidsMax,
      memoryMax: single(memory, 'memory.failcnt') + single(memory, 'memory.memsw.failcnt'),
    }
  }
}

/** Which hierarchies are mounted: the unified one with memory+pids, else the v1 ones. */
function detect(root: string): Hierarchies | null {
  const controllers = readOrNull(join(root, 'cgroup.controllers'))?.split(/\s+/) ?? []
  if (controllers.includes('memory') && controllers.includes('pids')) return { version: 2, root, cpu: controllers.includes('cpu') }
  const v1 = (name: string, probe: string) => (existsSync(join(root, name, probe)) ? join(root, name) : null)
  const memory = v1('memory', 'memory.limit_in_bytes')
  const pids = v1('pids', 'cgroup.procs')
  if (memory === null && pids === null) return null
  return { version: 1, memory, pids, cpu: v1('cpu', 'cpu.shares') }
}

function writeLimits(dirs: ControllerDirs, limits: Limits): void {
  const bytes = String(limits.memoryMB * MiB)
  const { memory, pids, cpu } = dirs
  if (dirs.version === 2) {
    if (memory !== null) {
      writeFileSync(join(memory, 'memory.max'), bytes)
      // No swap: a container over its limit is killed rather than slowing the host down.
      if (existsSync(join(memory, 'memory.swap.max'))) writeFileSync(join(memory, 'memory.swap.max'), '0')
    }
    if (pids !== null) writeFileSync(join(pids, 'pids.max'), String(limits.pids))
    if (cpu !== null) writeFileSync(join(cpu, 'cpu.weight'), String(limits.cpuWeight))
    return
  }
  if (memory !== null) writeV1Memory(memory, bytes)
  if (pids !== null) writeFileSync(join(pids, 'pids.max'), String(limits.pids))
  if (cpu !== null) {
    const shares = Math.max(Cgroup.V1_MIN_SHARES, Math.round((limits.cpuWeight * Cgroup.V1_SHARES_PER_100_WEIGHT) / 100))
    writeFileSync(join(cpu, 'cpu.shares'), String(shares))
  }
}

/**
 * memory+swap equal to memory: no swap. The kernel keeps memsw ≥ memory at every write, so a
 * raised limit (a reused cgroup) needs memsw first; a lowered one, memory first.
 */
function writeV1Memory(dir: string, bytes: string): void {
  const memsw = join(dir, 'memory.memsw.limit_in_bytes')
  const hasMemsw = existsSync(memsw)
  try {
    writeFileSync(join(dir, 'memory.limit_in_bytes'), bytes)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL' || !hasMemsw) throw e
    writeFileSync(memsw, bytes)
    writeFileSync(join(dir, 'memory.limit_in_bytes'), bytes)
  }
  if (hasMemsw) writeFileSync(memsw, bytes)
}

/** `key N` from a flat-keyed cgroup file (memory.events, pids.events, memory.oom_control); 0 if absent. */
function field(dir: string, file: string, key: string): number {
  const text = readOrNull(join(dir, file))
  const match = text === null ? null : new RegExp(`^${key} (\\d+)$`, 'm').exec(text)
  return match?.[1] === undefined ? 0 : Number(match[1])
}

/** A single-number cgroup file; 0 if absent. */
function single(dir: string, file: string): number {
  const n = Number(readOrNull(join(dir, file))?.trim())
  return Number.isFinite(n) ? n : 0
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null // not on this kernel or controller: the counter stays 0
  }
}

function uniqueDirs(dirs: ControllerDirs): string[] {
  return [...new Set([dirs.memory, dirs.pids, dirs.cpu].filter((d): d is string => d !== null))]
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`
}
