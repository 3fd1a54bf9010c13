import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { failure } from './support/failure.ts'
import { findStubInit, nspawnWorksHere } from './support/containers.ts'
import { useHive } from './support/hive-fixture.ts'
import { connectAdmin, connectAgent } from './support/sockets.ts'

/**
 * The agent page and the log tail answer within this, whatever an agent planted (the brief asks for
 * 1 s; the margin is for a 2-core box that is booting two containers right after a restart).
 */
const ANSWER_MS = 3_000
/** A call still pending after this is wedged (a FIFO read used to block forever): fail, do not hang. */
const WEDGED_MS = 10_000
/** How many agent page loads run at once: more than libuv's 4 threadpool threads. */
const PARALLEL = 6

/** A shell command as the container's root, in all its namespaces (reference/nspawn-userns.md §5), once it is up. */
async function inContainer(home: string, agent: string, script: string): Promise<string> {
  let init: number | undefined
  await expect.poll(() => (init = findStubInit(home, agent)), { timeout: 20_000, interval: 100, message: `no running container for ${agent}` }).toBeDefined()
  return execFileSync('nsenter', [`--target=${init}`, '--all', '/bin/sh', '-c', script], { encoding: 'utf8', timeout: 20_000 })
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')

/**
 * Every root-side touch of a path an agent owns survives what a hostile container root plants
 * there: the worker points its notes.md at a host file, a FIFO, /dev/zero; the manager points the
 * worker's proposed agent.json at operator.token and deletes .git. The daemon reads none of it,
 * overwrites nothing on its next two boots, and every agent page answers within a second.
 */
describe.runIf(nspawnWorksHere('containment-links'))('containment: what agents plant in their own directories', () => {
  const hive = useHive({ agents: ['worker'], env: { HIVE_RUNTIME: 'nspawn' } })
  const { daemon } = hive
  // A host file the daemon can read and the worker's container cannot: its content must never show.
  const SECRET = `host-secret-${process.pid}-c0ffee`
  let secretFile = ''
  beforeAll(() => {
    secretFile = join(mkdtempSync(join(tmpdir(), 'hive-host-secret-')), 'secret.txt')
    writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o644 })
  })
  afterAll(() => {
    if (secretFile) rmSync(dirname(secretFile), { recursive: true, force: true })
  })

  const token = () => join(daemon.home, 'operator.token')
  const notes = () => join(daemon.home, 'agents', 'worker', 'state', 'notes.md')

  /** `agent worker` (the dashboard's agent page) PARALLEL times at once, each on its own connection, each timed. */
  async function loadAgentPage(): Promise<{ answers: string[]; notes: (string | null)[]; slowest: number }> {
    const calls = Array.from({ length: PARALLEL }, async () => {
      const admin = await connectAdmin(daemon.home)
      try {
        const started = performance.now()
        const wedged = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`agent page wedged for ${WEDGED_MS} ms`)), WEDGED_MS).unref())
        const detail = await Promise.race([admin.call('agent', { name: 'worker' }), wedged])
        return { detail, ms: performance.now() - started }
      } finally {
        admin.close()
      }
    })
    const results = await Promise.all(calls)
    return { answers: results.map((r) => JSON.stringify(r.detail)), notes: results.map((r) => r.detail.notes), slowest: Math.max(...results.map((r) => r.ms)) }
  }

  async function expectContained(expectedNotes: RegExp): Promise<void> {
    const page = await loadAgentPage()
    for (const answer of page.answers) {
      expect(answer).not.toContain(SECRET)
      expect(answer).not.toContain(readFileSync(token(), 'utf8').trim())
    }
    expect(page.notes.every((n) => n !== null && expectedNotes.test(n)), JSON.stringify(page.notes)).toBe(true)
    expect(page.slowest).toBeLessThan(ANSWER_MS)
    // The log tail is read the same way, and the daemon is still responsive for everything else.
    const admin = await connectAdmin(daemon.home)
    try {
      const started = performance.now()
      await admin.call('logs', { name: 'worker', lines: 20 })
      await admin.call('status')
      expect(performance.now() - started).toBeLessThan(ANSWER_MS)
    } finally {
      admin.close()
    }
  }

  it('shows the worker’s notes.md only while it is a regular file', async () => {
    await inContainer(daemon.home, 'worker', 'printf "# worker — notes\\nfine\\n" > /state/notes.md')
    await expectContained(/^# worker — notes\nfine\n$/)
  })

  it('never follows notes.md to a host file', async () => {
    await inContainer(daemon.home, 'worker', `ln -sfn ${secretFile} /state/notes.md`)
    expect(lstatSync(notes()).isSymbolicLink()).toBe(true)
    await expectContained(/^\(not shown: notes\.md is a symlink, not a regular file\)$/)
  })

  it('never blocks on notes.md as a FIFO', async () => {
    await inContainer(daemon.home, 'worker', 'rm -f /state/notes.md && mkfifo /state/notes.md')
    expect(lstatSync(notes()).isFIFO()).toBe(true)
    await expectContained(/^\(not shown: notes\.md is a FIFO, not a regular file\)$/)
    await expectContained(/FIFO/) // and again: nothing was left blocked in the threadpool
  })

  it('never reads /dev/zero behind notes.md', async () => {
    // Container root cannot mknod a device (user namespace): a symlink is what it can plant.
    await inContainer(daemon.home, 'worker', 'rm -f /state/notes.md && (mknod /state/notes.md c 1 5 2>/dev/null || ln -sfn /dev/zero /state/notes.md)')
    await expectContained(/^\(not shown: notes\.md is (a symlink|a character device), not a regular file\)$/)
  })

  it('still takes a proposal the manager commits in its container, and a planted link in its .git is refused', async () => {
    // The proposed repo is the manager's uid: request_apply_commit copies it as that uid (config-repos.ts).
    const commit = 'cd /agents/worker/config && printf \'{\\n  "bash": ["git status"]\\n}\\n\' > agent.json && git -c user.name=manager -c user.email=m@hive commit -qam "git status" && git rev-parse HEAD'
    const sha = (await inContainer(daemon.home, 'manager', commit)).trim()
    const manager = await connectAgent(daemon.home, 'manager')
    try {
      const receipt = await manager.call('request_apply_commit', { agent: 'worker', commit_ref: 'HEAD', description: 'git status' })
      expect(receipt.sha).toBe(sha)
      expect((await daemon.cli('approve', String(receipt.approval_id))).code).toBe(0)
      expect(JSON.parse(readFileSync(join(daemon.home, 'applied', 'worker', 'agent.json'), 'utf8'))).toMatchObject({ bash: ['git status'] })

      await inContainer(daemon.home, 'manager', `ln -sfn ${secretFile} /agents/worker/config/.git/objects/evil`)
      expect((await failure(manager.call('request_apply_commit', { agent: 'worker', commit_ref: 'HEAD' })))?.message).toContain('contains a symlink (objects/evil)')
      await inContainer(daemon.home, 'manager', 'rm /agents/worker/config/.git/objects/evil')
    } finally {
      manager.close()
    }
  })

  it('overwrites nothing when the manager points the worker’s agent.json at operator.token, over two restarts', async () => {
    const tokenHash = sha256(token())
    const tokenStat = statSync(token())
    const repo = join(daemon.home, 'agents', 'worker', 'config')
    await inContainer(daemon.home, 'manager', 'cd /agents/worker/config && rm -rf .git && ln -sfn ../../../operator.token agent.json')
    expect(lstatSync(join(repo, 'agent.json')).isSymbolicLink()).toBe(true)
    expect(existsSync(join(repo, '.git'))).toBe(false)

    for (let boot = 0; boot < 2; boot++) {
      await daemon.stop()
      await daemon.start()
      expect(sha256(token())).toBe(tokenHash)
      await expectContained(/not a regular file/)
    }
    expect(statSync(token())).toMatchObject({ uid: tokenStat.uid, mode: tokenStat.mode, size: tokenStat.size })
    // Left alone, with a warning: not re-seeded (no git ran in it), not followed.
    expect(existsSync(join(repo, '.git'))).toBe(false)
    expect(lstatSync(join(repo, 'agent.json')).isSymbolicLink()).toBe(true)
    expect(daemon.log()).toContain('config repo has no .git directory')
    // A proposal from it is refused by name, not read through the link.
    const manager = await connectAgent(daemon.home, 'manager')
    try {
      expect((await failure(manager.call('request_apply_commit', { agent: 'worker', commit_ref: 'HEAD' })))?.message).toContain('has no .git directory')
    } finally {
      manager.close()
    }
    const list = await daemon.cliJson<{ name: string; state: string }[]>('list', '--json')
    expect(list.map((a) => [a.name, a.state])).toEqual([
      ['manager', 'running'],
      ['worker', 'running'],
    ])
  })
})
