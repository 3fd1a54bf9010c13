import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import * as pty from 'node-pty'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { claudeTestEnv, onTurnContaining, startFakeAnthropic, type FakeAnthropic } from '@hive/testkit'
import { HivePaths } from '../src/adapters/hive-paths.ts'
import { nspawnWorksHere } from './support/containers.ts'
import { HiveDaemon } from './support/hive-daemon.ts'
import { hiveProcesses, uidBasesOf } from './support/hive-processes.ts'

const REPO = fileURLToPath(new URL('../../..', import.meta.url))
const HIVE_BIN = join(REPO, 'apps/harness/bin/hive.mjs')
/** What the worker's turn leaves running in the background: it never ends by itself. */
const BACKGROUND_COMMAND = 'tail -f /dev/null'

/** What the operator is promised (issue 13): after a stop signal, and after a daemon SIGKILL. */
const Bound = {
  STOPPED_MS: 15_000,
  ORPHANS_GONE_MS: 5_000,
} as const

/**
 * However the daemon goes — a stop signal to `npm start`, a second signal while it shuts down, a
 * SIGKILL — no process of the hive stays: not the daemon, not an agent, not the claude in the
 * middle of a turn, its MCP server or the command it left running in the background. Each test
 * kills a fresh hive whose worker is mid-turn.
 */
describe('signals leave no process behind', () => {
  let fake: FakeAnthropic
  const homes: string[] = []

  beforeAll(async () => {
    // A turn that asks for the long job starts a command in the background (claude runs each in a
    // session of its own, out of the agent's process group), then waits for the model.
    fake = await startFakeAnthropic({
      scripts: [
        onTurnContaining('slow', 'long job', [
          { toolUse: { name: 'Bash', input: { command: BACKGROUND_COMMAND, description: 'wait in the background', run_in_background: true } } },
          { text: 'working…', delayMs: 300_000 },
        ]),
      ],
    })
  })
  afterAll(async () => {
    await fake.close()
  })
  afterEach(() => {
    // A failed test must not leave its hive running on the machine.
    for (const home of homes.splice(0)) {
      const uidBases = existsSync(join(home, 'hive.db')) ? uidBasesOf(home) : []
      for (const { pid } of hiveProcesses(home, uidBases)) signalIfAlive(pid, 'SIGKILL')
      new HiveDaemon(home, {}).removeHome()
    }
  })

  const newHome = () => {
    const home = HiveDaemon.tempHome()
    homes.push(home)
    return home
  }

  /**
   * Spawns `worker` and waits until its turn is with the model after starting a background command:
   * claude, its MCP server and the command run.
   */
  async function busyWorker(hive: HiveDaemon, job: string, uidBases: () => number[] = () => []): Promise<void> {
    const spawned = await hive.cli('spawn', 'worker')
    expect(spawned.code, spawned.stderr).toBe(0)
    // As an approved config commit would leave it: Bash may run the one command the turn uses.
    writeFileSync(new HivePaths(hive.home).appliedConfig('worker'), JSON.stringify({ bash: [BACKGROUND_COMMAND] }))
    expect((await hive.cli('send', 'worker', `please do the long job ${job}`)).code).toBe(0)
    await fake.waitForRequest((r) => (r.summary?.turnText.includes(`long job ${job}`) ?? false) && r.answer === 'step 1', 120_000)
    const running = (what: string) => hiveProcesses(hive.home, uidBases()).some((p) => p.cmdline.includes(what))
    await expect.poll(() => ['claude', 'hive-agent.mjs mcp', BACKGROUND_COMMAND].filter((what) => !running(what)), { timeout: 30_000 }).toEqual([])
  }

  async function expectNoneLeft(home: string, since: number, withinMs: number, uidBases: number[] = []): Promise<void> {
    await expect.poll(() => hiveProcesses(home, uidBases), { timeout: Math.max(0, since + withinMs - Date.now()), interval: 100 }).toEqual([])
  }

  it('`kill -TERM` of npm start’s npm pid stops the daemon, its agents and their children', async () => {
    const home = newHome()
    const npm = spawn('npm', ['start'], {
      cwd: REPO,
      env: { ...process.env, HIVE_HOME: home, HIVE_PORT: '0', HIVE_RUNTIME: 'process', ...claudeTestEnv(fake.url) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    npm.stderr.resume() // the daemon's logs: read, or a full pipe would block it
    await untilLine(npm.stdout, /◆ login: /, 90_000)
    await busyWorker(new HiveDaemon(home, claudeTestEnv(fake.url)), 'npm')

    const exited = once(npm, 'exit')
    const sent = Date.now()
    process.kill(npm.pid ?? 0, 'SIGTERM')
    await expectNoneLeft(home, sent, Bound.STOPPED_MS)
    expect(await exited).toEqual([0, null]) // an orderly stop
  })

  it('^C in the terminal running npm start is one stop request, not two', async () => {
    const home = newHome()
    const term = pty.spawn('npm', ['start'], {
      cwd: REPO,
      env: { ...process.env, HIVE_HOME: home, HIVE_PORT: '0', HIVE_RUNTIME: 'process', ...claudeTestEnv(fake.url) },
      cols: 200,
      rows: 50,
    })
    let output = ''
    term.onData((d) => (output += d))
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)))
    await expect.poll(() => output, { timeout: 90_000 }).toMatch(/◆ login: /)

    const sent = Date.now()
    term.write('\x03')
    // The terminal delivers the ^C, and npm forwards it again; the daemon still shut down in order.
    // (Polled before the exit: node-pty may report the exit before the last output is read.)
    await expect.poll(() => output, { timeout: Bound.STOPPED_MS }).toContain('◆ hive serve stopped')
    await exited
    expect(output).not.toContain('exiting without finishing the shutdown')
    await expectNoneLeft(home, sent, Bound.STOPPED_MS)
  })

  it('a SIGTERM during boot stops the daemon in order once boot is done', async () => {
    const home = newHome()
    const daemon = spawn(process.execPath, [HIVE_BIN, 'serve'], {
      env: { PATH: process.env.PATH, HOME: home, HIVE_HOME: home, HIVE_PORT: '0', HIVE_RUNTIME: 'process', ...claudeTestEnv(fake.url) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    daemon.stderr.resume()
    const lines: string[] = []
    createInterface({ input: daemon.stdout }).on('line', (l) => lines.push(l))
    // 'close', not 'exit': the last line must have been read from stdout.
    const exited = once(daemon, 'close')
    // Printed after the migrations, before the agents start.
    await expect.poll(() => lines.join('\n'), { timeout: 60_000 }).toMatch(/◆ database /)
    const sent = Date.now()
    daemon.kill('SIGTERM')
    expect(await exited).toEqual([0, null])
    expect(lines.join('\n')).toMatch(/◆ login: [^]*◆ hive serve stopped/)
    await expectNoneLeft(home, sent, Bound.STOPPED_MS)
  })

  it('a second SIGTERM while the daemon shuts down ends it at once, and still leaves nothing', async () => {
    const home = newHome()
    const daemon = new HiveDaemon(home, claudeTestEnv(fake.url))
    await daemon.start()
    await busyWorker(daemon, 'twice')
    // A stopped agent does not answer SIGTERM: the orderly shutdown waits out its 5 s grace.
    const leader = Number(readFileSync(new HivePaths(home).agentPidFile('worker'), 'utf8'))
    const agent = Number(readFileSync(`/proc/${leader}/task/${leader}/children`, 'utf8').trim().split(' ')[0])
    expect(readFileSync(`/proc/${agent}/cmdline`, 'utf8')).toContain('hive-agent.mjs\0serve')
    process.kill(agent, 'SIGSTOP')

    const sent = Date.now()
    process.kill(daemon.pid ?? 0, 'SIGTERM')
    await expect.poll(() => daemon.log(), { timeout: 10_000 }).toContain('"msg":"shutting down"')
    process.kill(daemon.pid ?? 0, 'SIGTERM')
    await expectNoneLeft(home, sent, Bound.STOPPED_MS)
    expect(daemon.log()).toContain('SIGTERM while shutting down')
    expect(daemon.log()).not.toContain('◆ hive serve stopped')
  })

  it('a daemon SIGKILL leaves no agent process after 5 s (process runtime)', async () => {
    const home = newHome()
    const daemon = new HiveDaemon(home, claudeTestEnv(fake.url))
    await daemon.start()
    await busyWorker(daemon, 'crash')

    const killed = Date.now()
    await daemon.crash()
    await expectNoneLeft(home, killed, Bound.ORPHANS_GONE_MS)
  })

  it.runIf(nspawnWorksHere('signals'))('a daemon SIGKILL leaves no container process after 5 s (nspawn runtime)', async () => {
    const home = newHome()
    const daemon = new HiveDaemon(home, { ...claudeTestEnv(fake.url), HIVE_RUNTIME: 'nspawn' })
    await daemon.start()
    await busyWorker(daemon, 'contained', () => uidBasesOf(home))
    const uidBases = uidBasesOf(home)
    expect(uidBases).toHaveLength(2) // the manager's and the worker's

    const killed = Date.now()
    await daemon.crash()
    await expectNoneLeft(home, killed, Bound.ORPHANS_GONE_MS, uidBases)
  })
})

function signalIfAlive(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // gone already
  }
}

/** Resolves at the first line matching `pattern`; rejects after `ms`. */
function untilLine(stream: NodeJS.ReadableStream, pattern: RegExp, ms: number): Promise<string> {
  const seen: string[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern}:\n${seen.join('\n')}`)), ms)
    createInterface({ input: stream }).on('line', (line) => {
      seen.push(line)
      if (!pattern.test(line)) return
      clearTimeout(timer)
      resolve(line)
    })
  })
}
