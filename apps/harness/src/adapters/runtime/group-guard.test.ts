import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { canGuardGroups, guardGroup } from './group-guard.ts'

const started: number[] = []

/** `argv` guarded, as its own process group, the way the process runtime starts an agent. */
function startGuarded(argv: string[]): ChildProcess {
  const [command, ...args] = guardGroup(argv)
  // stderr ignored: the leader shell reports a killed agent there ("Killed").
  const child = spawn(command ?? '', args, { detached: true, stdio: ['ignore', 'pipe', 'ignore'] })
  if (child.pid !== undefined) started.push(child.pid)
  return child
}

const firstLine = async (child: ChildProcess) => {
  const [line] = (await once(createInterface({ input: child.stdout as NodeJS.ReadableStream }), 'line')) as [string]
  return line
}

/** Live processes of a process group (zombies count as gone). */
function groupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const fields = readFileSync(`/proc/${e}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
        return fields[0] !== 'Z' && Number(fields[2]) === pgid
      } catch {
        return false // exited meanwhile
      }
    })
    .map(Number)
}

afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // the group is gone already, as it should be
    }
  }
})

/** An agent that answers SIGTERM with exit code 5, once it said it is ready. */
const POLITE_AGENT = `process.on('SIGTERM', () => process.exit(5)); console.log('ready'); setInterval(() => {}, 1000)`

describe.runIf(canGuardGroups)('guardGroup', () => {
  it('exits with the exit code of what it runs', async () => {
    const child = startGuarded(['/bin/sh', '-c', 'exit 7'])
    expect(await once(child, 'exit')).toEqual([7, null])
  })

  it('leaves a SIGTERM to the group to the agent, and exits as the agent did', async () => {
    const child = startGuarded([process.execPath, '-e', POLITE_AGENT])
    expect(await firstLine(child)).toBe('ready')
    process.kill(-(child.pid ?? 0), 'SIGTERM')
    expect(await once(child, 'exit')).toEqual([5, null])
  })

  it('dies of the signal that killed the agent', async () => {
    const child = startGuarded([process.execPath, '-e', `console.log(process.pid); setInterval(() => {}, 1000)`])
    const agent = Number(await firstLine(child))
    process.kill(agent, 'SIGKILL')
    expect(await once(child, 'exit')).toEqual([null, 'SIGKILL'])
  })

  it('takes the whole group down when its parent is SIGKILLed, children that ignore SIGTERM included', async () => {
    // The agent ignores SIGTERM and has a child of its own, which the parent-death signal never reaches.
    const agent = `require('node:child_process').spawn('sleep', ['300'], { stdio: 'ignore' }); process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)`
    const argv = guardGroup([process.execPath, '-e', agent])
    const parentScript = `
      const child = require('node:child_process').spawn(process.argv[1], process.argv.slice(2), { detached: true, stdio: ['ignore', 'pipe', 'inherit'] })
      console.log(child.pid)
      child.stdout.pipe(process.stdout)
    `
    const parent = spawn(process.execPath, ['-e', parentScript, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] })
    const lines = createInterface({ input: parent.stdout })[Symbol.asyncIterator]()
    const leader = Number((await lines.next()).value)
    started.push(leader)
    expect((await lines.next()).value).toBe('ready')
    expect(groupMembers(leader).length).toBeGreaterThanOrEqual(3) // leader shell, agent, sleep

    parent.kill('SIGKILL')
    await expect.poll(() => groupMembers(leader), { timeout: 10_000, interval: 100 }).toEqual([])
  })
})
