import pino from 'pino'
import { describe, expect, it, vi } from 'vitest'
import type { Approval, ApprovalResolution, ApprovalsRepository, NewApproval } from '@hive/db'
import { HiveErrorCode, MANAGER_NAME, OPERATOR, SYSTEM, helperEventSchema, type AgentView, type HelperEvent } from '@hive/mcp'
import { HivePaths } from '../adapters/hive-paths.ts'
import type { AgentDirectory } from './agent-directory.ts'
import type { AgentLifecycle } from './agent-lifecycle.ts'
import { ApprovalDesk } from './approval-desk.ts'
import type { Broker } from './broker.ts'
import { LiveBus, type LiveEvent } from './live-bus.ts'

/** The repository methods the desk calls (packages/db/src/repositories/approvals.ts). */
type ApprovalsSeam = Pick<ApprovalsRepository, 'create' | 'pendingFor' | 'pending' | 'history' | 'resolve' | 'settle'>

/** ApprovalsRepository in memory, with its contract: `resolve` claims a pending approval once. */
class InMemoryApprovals implements ApprovalsSeam {
  private readonly rows = new Map<number, Approval>()
  private nextId = 1

  get size(): number {
    return this.rows.size
  }

  create(a: NewApproval): Promise<Approval> {
    const row: Approval = {
      id: this.nextId++,
      kind: a.kind,
      agent: a.agent,
      description: a.description,
      commitRef: a.commitRef ?? null,
      sha: a.sha ?? null,
      status: 'pending',
      note: null,
      requestedAt: new Date(),
      resolvedAt: null,
    }
    this.rows.set(row.id, row)
    return Promise.resolve({ ...row })
  }

  pendingFor(kind: Approval['kind'], agent: string): Promise<Approval | null> {
    const row = [...this.rows.values()].find((r) => r.kind === kind && r.agent === agent && r.status === 'pending')
    return Promise.resolve(row ? { ...row } : null)
  }

  pending(): Promise<Approval[]> {
    return Promise.resolve([...this.rows.values()].filter((r) => r.status === 'pending').map((r) => ({ ...r })))
  }

  history(limit: number): Promise<Approval[]> {
    const decided = [...this.rows.values()].filter((r) => r.status !== 'pending').reverse()
    return Promise.resolve(decided.slice(0, limit).map((r) => ({ ...r })))
  }

  resolve(id: number, status: Exclude<Approval['status'], 'pending'>, note: string | null): Promise<ApprovalResolution> {
    const row = this.rows.get(id)
    if (!row) return Promise.resolve({ ok: false, reason: 'not_found' })
    if (row.status !== 'pending') return Promise.resolve({ ok: false, reason: 'not_pending', approval: { ...row } })
    Object.assign(row, { status, note, resolvedAt: new Date() })
    return Promise.resolve({ ok: true, approval: { ...row } })
  }

  settle(id: number, status: 'approved' | 'failed', note: string | null): Promise<Approval> {
    const row = this.rows.get(id)
    if (!row) return Promise.reject(new Error(`settle: no approval ${id}`))
    Object.assign(row, { status, note })
    return Promise.resolve({ ...row })
  }
}

/** Records every helper event the desk sends, parsed with the wire schema. */
class RecordingBroker implements Pick<Broker, 'send'> {
  readonly sent: { sender: string; recipients: string[]; event: HelperEvent }[] = []

  send(sender: string, recipients: string[], body: string): ReturnType<Broker['send']> {
    this.sent.push({ sender, recipients, event: helperEventSchema.parse(JSON.parse(body)) })
    return Promise.resolve([])
  }
}

const agentView = (name: string): AgentView => ({
  name,
  role: 'agent',
  runtime: 'process',
  isolated: false,
  desired: 'running',
  state: 'running',
  activity: 'idle',
  activity_since: 0,
  retry_at: null,
  unread: 0,
  created_at: 0,
  destroyed_at: null,
})

type NameState = Awaited<ReturnType<AgentDirectory['nameState']>>

function setup(names: Record<string, NameState> = {}) {
  const repo = new InMemoryApprovals()
  const broker = new RecordingBroker()
  const live = new LiveBus()
  const published: LiveEvent[] = []
  live.subscribe((e) => published.push(e.event))
  const nameState = vi.fn<AgentDirectory['nameState']>((name) => Promise.resolve(names[name] ?? 'none'))
  const spawn = vi.fn<AgentLifecycle['spawn']>((name) => Promise.resolve(agentView(name)))
  // ApprovalsRepository and Broker are classes with private members, so no fake satisfies them
  // structurally: each fake is checked against the methods the desk calls, then widened.
  const approvals: ApprovalsSeam = repo
  const sender: Pick<Broker, 'send'> = broker
  const desk = new ApprovalDesk({
    approvals: approvals as ApprovalsRepository,
    broker: sender as Broker,
    // Only apply_commit touches the disk; these tests queue spawns.
    paths: new HivePaths('/nonexistent/hive-home'),
    live,
    log: pino({ level: 'silent' }),
    directory: { nameState },
    lifecycle: { spawn },
  })
  return { desk, repo, broker, published, spawn }
}

describe('ApprovalDesk (spawn requests)', () => {
  it.each([
    ['live', 'name: agent scout already exists'],
    ['destroyed', "name: scout is a destroyed agent's tombstone; the operator can revive or purge it"],
  ] as const)('refuses a spawn of a %s name as a Conflict, writing nothing', async (state, message) => {
    const { desk, repo, broker, published } = setup({ scout: state })

    await expect(desk.requestSpawn('scout', 'reads docs', MANAGER_NAME)).rejects.toMatchObject({ code: HiveErrorCode.Conflict, message })

    expect(repo.size).toBe(0)
    expect(published).toEqual([])
    expect(broker.sent).toEqual([])
  })

  it('refuses a second spawn of a name already pending as a Conflict, writing nothing', async () => {
    const { desk, repo, published } = setup()
    await desk.requestSpawn('scout', 'reads docs', MANAGER_NAME)
    published.length = 0

    await expect(desk.requestSpawn('scout', 'again', OPERATOR)).rejects.toMatchObject({
      code: HiveErrorCode.Conflict,
      message: 'name: a spawn of scout is already pending (approval 1)',
    })

    expect(repo.size).toBe(1)
    expect(published).toEqual([])
  })

  it.each([
    ['trims the description', '  reads the docs  ', 'reads the docs'],
    ['stores a blank description as null', '   ', null],
    ['stores a missing description as null', undefined, null],
  ])('queues the request pending and %s', async (_case, description, stored) => {
    const { desk, broker, published, spawn } = setup()

    const view = await desk.requestSpawn('scout', description, MANAGER_NAME)

    expect(view).toMatchObject({ id: 1, kind: 'spawn', agent: 'scout', description: stored, status: 'pending', note: null, resolved_at: null })
    expect(published).toEqual([{ type: 'approvals.changed' }, { type: 'approval.requested', id: 1, kind: 'spawn', agent: 'scout' }])
    expect(spawn).not.toHaveBeenCalled()
    expect(broker.sent).toEqual([])
  })

  it('approve spawns without announcing it, ends approved with a note, and tells the manager', async () => {
    const { desk, repo, broker, spawn } = setup()
    await desk.requestSpawn('scout', 'reads the docs', MANAGER_NAME)

    const view = await desk.approve(1, OPERATOR)

    expect(spawn).toHaveBeenCalledExactlyOnceWith('scout', 'reads the docs', OPERATOR, false)
    expect(view).toMatchObject({ id: 1, status: 'approved', note: 'scout spawned' })
    expect(await repo.pending()).toEqual([])
    expect(broker.sent).toEqual([
      {
        sender: SYSTEM,
        recipients: [MANAGER_NAME],
        event: { event: 'approval_resolved', id: 1, kind: 'spawn', agent: 'scout', status: 'approved', note: 'scout spawned' },
      },
    ])
  })

  it('approve of a request without description spawns with no description', async () => {
    const { desk, spawn } = setup()
    await desk.requestSpawn('scout', undefined, MANAGER_NAME)

    await desk.approve(1, OPERATOR)

    expect(spawn).toHaveBeenCalledExactlyOnceWith('scout', undefined, OPERATOR, false)
  })

  it('an approve whose spawn throws ends failed, with the error as note', async () => {
    const { desk, repo, broker, spawn } = setup()
    spawn.mockRejectedValueOnce(new Error('runtime refused: no free uid range'))
    await desk.requestSpawn('scout', undefined, MANAGER_NAME)

    const view = await desk.approve(1, OPERATOR)

    expect(view).toMatchObject({ status: 'failed', note: 'runtime refused: no free uid range' })
    expect(await repo.history(10)).toMatchObject([{ id: 1, status: 'failed', note: 'runtime refused: no free uid range' }])
    expect(broker.sent.map((s) => s.event)).toEqual([
      { event: 'approval_resolved', id: 1, kind: 'spawn', agent: 'scout', status: 'failed', note: 'runtime refused: no free uid range' },
    ])
  })

  it('deny ends denied with the trimmed note, spawns nothing, and tells the manager', async () => {
    const { desk, broker, spawn } = setup()
    await desk.requestSpawn('scout', undefined, MANAGER_NAME)

    const view = await desk.deny(1, '  not this week  ', OPERATOR)

    expect(view).toMatchObject({ status: 'denied', note: 'not this week' })
    expect(spawn).not.toHaveBeenCalled()
    expect(broker.sent).toEqual([
      {
        sender: SYSTEM,
        recipients: [MANAGER_NAME],
        event: { event: 'approval_resolved', id: 1, kind: 'spawn', agent: 'scout', status: 'denied', note: 'not this week' },
      },
    ])
  })

  it.each([
    ['approve', 'approve'],
    ['approve', 'deny'],
    ['deny', 'approve'],
    ['deny', 'deny'],
  ] as const)('after %s, a second decision (%s) is a Conflict that changes nothing', async (first, second) => {
    const { desk, repo, broker, spawn } = setup()
    await desk.requestSpawn('scout', undefined, MANAGER_NAME)
    const decide = (how: 'approve' | 'deny') => (how === 'approve' ? desk.approve(1, OPERATOR) : desk.deny(1, 'no', OPERATOR))
    const settled = await decide(first)

    await expect(decide(second)).rejects.toMatchObject({
      code: HiveErrorCode.Conflict,
      message: `approval 1 is already ${settled.status} (${settled.note})`,
    })

    expect(spawn).toHaveBeenCalledTimes(first === 'approve' ? 1 : 0)
    expect(broker.sent).toHaveLength(1)
    expect(await repo.history(10)).toMatchObject([{ status: settled.status, note: settled.note }])
  })

  it('a decision on an unknown approval is NotFound', async () => {
    const { desk } = setup()

    await expect(desk.approve(7, OPERATOR)).rejects.toMatchObject({ code: HiveErrorCode.NotFound, message: 'no approval with id 7' })
    await expect(desk.deny(7, undefined, OPERATOR)).rejects.toMatchObject({ code: HiveErrorCode.NotFound })
  })
})
