import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { onTurnContaining } from '@hive/testkit'
import { failure } from './support/failure.ts'
import { useHive } from './support/hive-fixture.ts'
import { connectAdmin, connectAgent } from './support/sockets.ts'
import { managerEvents } from './support/manager-events.ts'

interface Approval {
  id: number
  kind: string
  agent: string
  description: string | null
  sha: string | null
  status: string
  note: string | null
  diff?: string
}

/** Commits a new agent.json in an agent's proposed config repo, as the manager would; its sha. */
function commitProposal(home: string, agent: string, config: unknown, message: string): string {
  const repo = join(home, 'agents', agent, 'config')
  writeFileSync(join(repo, 'agent.json'), JSON.stringify(config, null, 2) + '\n')
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=manager', '-c', 'user.email=manager@hive', ...args], { cwd: repo, encoding: 'utf8' })
  git('commit', '--quiet', '-am', message)
  return git('rev-parse', 'HEAD').trim()
}

/**
 * P3NDING APPR0VALS end to end: the manager's real claude turn asks for a spawn, the operator
 * approves it with `hive approve`, the agent exists and the manager wakes with the outcome; config
 * commits are reviewed as a diff and applied; every wrong move is a clear error that changes nothing.
 */
describe('approvals', () => {
  const hive = useHive({
    agents: ['worker'],
    scripts: [
      onTurnContaining('manager-requests', 'we need a scout', [
        { toolUse: { name: 'mcp__hyperhive__request_spawn', input: { name: 'scout', description: 'reads the docs and reports' } } },
        { text: 'Requested; the operator decides.' },
      ]),
      onTurnContaining('manager-hears', '"event":"approval_resolved"', [{ text: 'Noted.' }]),
    ],
  })
  const { daemon } = hive
  const managerSocket = () => connectAgent(daemon.home, 'manager')
  const systemEvents = () => managerEvents(daemon.home)

  it('spawns an agent the manager asked for once the operator approves', async () => {
    expect((await daemon.cli('send', 'manager', 'we need a scout for the docs')).code).toBe(0)
    let pending: Approval[] = []
    await expect
      .poll(async () => (pending = await daemon.cliJson<Approval[]>('pending', '--json')), { timeout: 120_000, interval: 300 })
      .toHaveLength(1)
    expect(pending[0]).toMatchObject({ kind: 'spawn', agent: 'scout', description: 'reads the docs and reports', status: 'pending' })

    const approved = await daemon.cli('approve', String(pending[0]?.id))
    expect(approved.code, approved.stderr).toBe(0)
    expect(approved.stdout).toContain('approved')
    const agents = await daemon.cliJson<{ name: string; state: string }[]>('list', '--json')
    expect(agents.find((a) => a.name === 'scout')).toMatchObject({ state: 'running' })

    const woken = await hive.fake.waitForRequest((r) => r.script === 'manager-hears', 120_000)
    expect(woken.summary?.turnText).toContain('"event":"approval_resolved"')
    expect(woken.summary?.turnText).toContain('"agent":"scout"')
    expect(woken.summary?.turnText).toContain('"status":"approved"')
    expect(await daemon.cliJson<Approval[]>('pending', '--json')).toEqual([])
  })

  it('applies a reviewed config commit and tells the manager', async () => {
    const sha = commitProposal(daemon.home, 'worker', { model: 'sonnet', bash: ['git status'], notesCompactBytes: 16384 }, 'worker: sonnet, git status')
    const manager = await managerSocket()
    const receipt = await manager.call('request_apply_commit', { agent: 'worker', commit_ref: sha.slice(0, 10), description: 'needs git status' })
    manager.close()
    expect(receipt.sha).toBe(sha)

    const [pending] = await daemon.cliJson<Approval[]>('pending', '--json')
    expect(pending).toMatchObject({ id: receipt.approval_id, kind: 'apply_commit', agent: 'worker', sha, status: 'pending' })
    expect(pending?.diff).toContain('+  "model": "sonnet"')
    expect(pending?.diff).toContain('+    "git status"')
    // Nothing applies before the operator says so.
    expect(readFileSync(join(daemon.home, 'applied', 'worker', 'agent.json'), 'utf8')).not.toContain('sonnet')

    const approved = await daemon.cli('approve', String(receipt.approval_id))
    expect(approved.code, approved.stderr).toBe(0)
    expect(JSON.parse(readFileSync(join(daemon.home, 'applied', 'worker', 'agent.json'), 'utf8'))).toMatchObject({ model: 'sonnet', bash: ['git status'] })
    const tag = execFileSync('git', ['rev-parse', `deployed/${receipt.approval_id}^{tree}`], { cwd: join(daemon.home, 'applied', 'worker'), encoding: 'utf8' })
    expect(tag.trim()).toBe(execFileSync('git', ['rev-parse', `${sha}^{tree}`], { cwd: join(daemon.home, 'applied', 'worker'), encoding: 'utf8' }).trim())
    const model = await daemon.cli('model', 'worker', '--clear')
    expect(model.stdout).toContain('sonnet')
    await expect.poll(systemEvents, { timeout: 5_000 }).toContainEqual(expect.objectContaining({ event: 'approval_resolved', id: receipt.approval_id, kind: 'apply_commit', status: 'approved', sha }))
  })

  it('denies with a note the manager receives', async () => {
    const requested = await daemon.cli('request-spawn', 'lurker', '--description', 'just in case')
    expect(requested.code, requested.stderr).toBe(0)
    const [pending] = await daemon.cliJson<Approval[]>('pending', '--json')
    const denied = await daemon.cli('deny', String(pending?.id), '--note', 'no speculative agents')
    expect(denied.code, denied.stderr).toBe(0)
    await expect.poll(systemEvents, { timeout: 5_000 }).toContainEqual({ event: 'approval_resolved', id: pending?.id, kind: 'spawn', agent: 'lurker', status: 'denied', note: 'no speculative agents' })
    expect((await daemon.cliJson<{ name: string }[]>('list', '--all', '--json')).map((a) => a.name)).not.toContain('lurker')
  })

  /** Runs `check`, then proves that the approvals listing is exactly what it was before. */
  async function changesNothing(check: () => Promise<void>): Promise<void> {
    const before = await daemon.cliJson<Approval[]>('pending', '--all', '--json')
    await check()
    expect(await daemon.cliJson<Approval[]>('pending', '--all', '--json')).toEqual(before)
  }

  it('refuses bad manager requests with errors naming the field, changing nothing', async () => {
    await changesNothing(async () => {
      const manager = await managerSocket()
      const invalid = commitProposal(daemon.home, 'worker', { bash: ['*'] }, 'blanket bash')
      for (const [op, args, fragment] of [
        ['request_spawn', { name: 'worker' }, 'agent worker already exists'],
        ['request_spawn', { name: 'Bad Name' }, 'args.name'],
        ['request_spawn', { name: 'scribe', description: 'x'.repeat(4097) }, 'args.description'],
        ['request_apply_commit', { agent: 'worker', commit_ref: 'a'.repeat(257) }, 'args.commit_ref'],
        ['request_apply_commit', { agent: 'ghost', commit_ref: 'HEAD' }, 'no agent named ghost'],
        ['request_apply_commit', { agent: 'worker', commit_ref: 'deadbeef' }, 'not a commit in worker'],
        ['request_apply_commit', { agent: 'worker', commit_ref: '--upload-pack=touch /tmp/x' }, 'not a commit sha or ref'],
        ['request_apply_commit', { agent: 'worker', commit_ref: invalid }, 'bash.0: bash pattern "*" would allow every command'],
      ] as const) {
        const e = await failure(manager.request(op, args))
        expect(e?.message, op).toContain(fragment)
      }
      manager.close()
    })
  })

  it('reads a proposed repo through a sanitized copy: a planted symlink is refused', async () => {
    await changesNothing(async () => {
      const manager = await managerSocket()
      const planted = join(daemon.home, 'agents', 'worker', 'config', '.git', 'objects', 'evil')
      symlinkSync('/etc', planted)
      try {
        expect((await failure(manager.call('request_apply_commit', { agent: 'worker', commit_ref: 'HEAD' })))?.message).toContain('contains a symlink (objects/evil)')
      } finally {
        rmSync(planted)
        manager.close()
      }
    })
  })

  it('refuses a second pending spawn of the same name', async () => {
    const manager = await managerSocket()
    const first = await manager.call('request_spawn', { name: 'twin' })
    await changesNothing(async () => {
      expect((await failure(manager.request('request_spawn', { name: 'twin' })))?.message).toContain(`already pending (approval ${first.approval_id})`)
    })
    manager.close()
    expect((await daemon.cli('deny', String(first.approval_id))).code).toBe(0)
  })

  it('refuses second decisions and unknown ids', async () => {
    const admin = await connectAdmin(daemon.home)
    const requested = await admin.call('request_spawn', { name: 'decided' })
    admin.close()
    expect((await daemon.cli('approve', String(requested.id))).code).toBe(0)
    await changesNothing(async () => {
      expect((await daemon.cli('approve', String(requested.id))).stderr).toContain(`approval ${requested.id} is already approved`)
      expect((await daemon.cli('deny', String(requested.id))).stderr).toContain('already approved')
      expect((await daemon.cli('approve', '9999')).stderr).toContain('no approval with id 9999')
      expect((await daemon.cli('approve', 'x')).code).not.toBe(0)
    })
  })

  it('ends an approval failed when its action fails at approval time', async () => {
    const manager = await managerSocket()
    const first = await manager.call('request_spawn', { name: 'helper' })
    manager.close()
    // The name got taken meanwhile: the approved spawn cannot run.
    expect((await daemon.cli('spawn', 'helper')).code).toBe(0)
    const failed = await daemon.cli('approve', String(first.approval_id))
    expect(failed.code).toBe(1)
    expect(failed.stdout).toContain('failed — agent helper already exists')
    expect((await daemon.cliJson<Approval[]>('pending', '--all', '--json')).find((a) => a.id === first.approval_id)).toMatchObject({
      status: 'failed',
      note: 'agent helper already exists',
    })
  })
})
