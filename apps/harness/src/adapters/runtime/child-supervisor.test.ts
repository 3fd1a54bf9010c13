import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { HivePaths } from '../hive-paths.ts'
import { ChildSupervisor, signalProcess } from './child-supervisor.ts'
import type { ContainerExit } from './container-runtime.ts'

const homes: string[] = []

function supervisor() {
  const home = mkdtempSync(join(tmpdir(), 'hive-supervisor-'))
  homes.push(home)
  const paths = new HivePaths(home)
  return { children: new ChildSupervisor(paths, pino({ level: 'silent' })), paths }
}

const nextExit = (children: ChildSupervisor) => new Promise<ContainerExit>((resolve) => children.events.once('exit', resolve))

afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true })
})

describe('ChildSupervisor', () => {
  it("writes the child's stdout and stderr to its log, and reports a crash with its reason before cleaning up", async () => {
    const { children, paths } = supervisor()
    const order: string[] = []
    children.events.once('exit', () => order.push('exit event'))
    const exit = nextExit(children)
    children.start({
      name: 'worker',
      argv: ['/bin/sh', '-c', 'echo to stdout; echo to stderr >&2; exit 3'],
      cwd: '/',
      env: { PATH: '/usr/bin:/bin' },
      exitReason: () => 'hit its pids limit (64)',
      afterExit: () => {
        order.push('cleanup')
        return Promise.resolve()
      },
    })
    expect(await exit).toEqual({ name: 'worker', code: 3, signal: null, expected: false, reason: 'hit its pids limit (64)' })
    expect(children.status('worker')).toBe('failed')
    await expect.poll(() => readFileSync(paths.agentLog('worker'), 'utf8').split('\n').sort()).toEqual(['', 'to stderr', 'to stdout'])
    expect(order).toEqual(['exit event', 'cleanup'])
  })

  it('asks no reason of a stop the daemon wanted, and waits for the cleanup', async () => {
    const { children } = supervisor()
    let cleaned = false
    const exit = nextExit(children)
    children.start({
      name: 'worker',
      argv: ['/bin/sleep', '30'],
      cwd: '/',
      env: {},
      exitReason: () => 'must not be asked',
      afterExit: async () => {
        await new Promise((r) => setTimeout(r, 50))
        cleaned = true
      },
    })
    await children.stop('worker', { first: (pid) => signalProcess(pid, 'SIGTERM'), then: (pid) => signalProcess(pid, 'SIGKILL'), graceMs: 5_000 })
    expect(cleaned).toBe(true)
    expect(await exit).toEqual({ name: 'worker', code: null, signal: 'SIGTERM', expected: true })
    expect(children.status('worker')).toBe('stopped')
  })

  it('reports a child it had to kill (a broken limit) as a crash', async () => {
    const { children } = supervisor()
    const exit = nextExit(children)
    children.start({ name: 'worker', argv: ['/bin/sleep', '30'], cwd: '/', env: {}, exitReason: () => 'killed: out of memory (limit 256 MB)' })
    await children.kill('worker', { first: (pid) => signalProcess(pid, 'SIGTERM'), then: (pid) => signalProcess(pid, 'SIGKILL'), graceMs: 5_000 })
    expect(await exit).toMatchObject({ expected: false, reason: 'killed: out of memory (limit 256 MB)' })
    expect(children.status('worker')).toBe('failed')
  })
})
