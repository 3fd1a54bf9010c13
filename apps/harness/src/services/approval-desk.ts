import type { Logger } from 'pino'
import type { Approval, ApprovalsRepository } from '@hive/db'
import { HiveError, HiveErrorCode, OPERATOR, type ApprovalView } from '@hive/mcp'
import type { AgentDirectory } from './agent-directory.ts'
import type { AgentLifecycle } from './agent-lifecycle.ts'
import type { HivePaths } from '../adapters/hive-paths.ts'
import type { Broker } from './broker.ts'
import { ConfigRepos } from '../adapters/config-repos.ts'
import { sendHelperEvent } from './helper-events.ts'
import type { LiveBus } from './live-bus.ts'

export interface ApprovalDeskDeps {
  approvals: ApprovalsRepository
  paths: HivePaths
  broker: Broker
  live: LiveBus
  log: Logger
  directory: Pick<AgentDirectory, 'nameState'>
  /** Creates and starts an approved agent. */
  lifecycle: Pick<AgentLifecycle, 'spawn'>
}

/**
 * The operator's approval queue: creating an agent and changing any agent's config wait here
 * until the operator approves or denies. Each resolution reaches the manager as an
 * `approval_resolved` event (which wakes it). Approving runs the action; if the action fails the
 * approval ends `failed` with the error as its note.
 */
export class ApprovalDesk {
  constructor(private readonly deps: ApprovalDeskDeps) {}

  async requestSpawn(name: string, description: string | undefined, by: string): Promise<ApprovalView> {
    const state = await this.deps.directory.nameState(name)
    if (state === 'live') throw new HiveError(HiveErrorCode.Conflict, `name: agent ${name} already exists`)
    if (state === 'destroyed') throw new HiveError(HiveErrorCode.Conflict, `name: ${name} is a destroyed agent's tombstone; the operator can revive or purge it`)
    const queued = await this.deps.approvals.pendingFor('spawn', name)
    if (queued) throw new HiveError(HiveErrorCode.Conflict, `name: a spawn of ${name} is already pending (approval ${queued.id})`)
    const row = await this.deps.approvals.create({ kind: 'spawn', agent: name, description: description?.trim() || null })
    return this.requested(row, by)
  }

  async requestApplyCommit(agent: string, commitRef: string, description: string | undefined, by: string): Promise<ApprovalView> {
    const state = await this.deps.directory.nameState(agent)
    if (state !== 'live') throw new HiveError(HiveErrorCode.NotFound, `agent: ${state === 'none' ? `no agent named ${agent}` : `${agent} is destroyed`}`)
    const repos = new ConfigRepos(this.deps.paths, agent)
    const sha = repos.importProposal(commitRef)
    const row = await this.deps.approvals.create({ kind: 'apply_commit', agent, description: description ?? null, commitRef, sha })
    repos.tagProposal(row.id, sha)
    return this.requested(row, by)
  }

  async approve(id: number, by: string): Promise<ApprovalView> {
    const approval = this.claimed(id, await this.deps.approvals.resolve(id, 'approved', null))
    let outcome: Approval
    try {
      const note = await this.run(approval)
      outcome = await this.deps.approvals.settle(id, 'approved', note)
    } catch (e) {
      const note = e instanceof Error ? e.message : String(e)
      this.deps.log.warn({ id, kind: approval.kind, agent: approval.agent, err: note }, 'approved action failed')
      outcome = await this.deps.approvals.settle(id, 'failed', note)
    }
    this.deps.log.info({ id, kind: outcome.kind, agent: outcome.agent, status: outcome.status, by }, 'approval resolved')
    return this.resolved(outcome)
  }

  async deny(id: number, note: string | undefined, by: string): Promise<ApprovalView> {
    const approval = this.claimed(id, await this.deps.approvals.resolve(id, 'denied', note?.trim() || null))
    this.deps.log.info({ id, kind: approval.kind, agent: approval.agent, by }, 'approval denied')
    return this.resolved(approval)
  }

  /** Pending approvals, oldest first, config changes with their diff. */
  async pending(): Promise<ApprovalView[]> {
    return (await this.deps.approvals.pending()).map((a) => {
      const view = toView(a)
      if (a.kind !== 'apply_commit' || !a.sha) return view
      try {
        return { ...view, diff: new ConfigRepos(this.deps.paths, a.agent).diff(a.sha) }
      } catch (e) {
        return { ...view, diff: `(no diff: ${(e as Error).message})` }
      }
    })
  }

  async history(limit = 50): Promise<ApprovalView[]> {
    return (await this.deps.approvals.history(limit)).map(toView)
  }

  /** The approved action; its return value is the note the manager and the operator see. */
  private async run(approval: Approval): Promise<string> {
    if (approval.kind === 'spawn') {
      // The operator approved it: the manager hears through approval_resolved, not `spawned`.
      await this.deps.lifecycle.spawn(approval.agent, approval.description ?? undefined, OPERATOR, false)
      return `${approval.agent} spawned`
    }
    if ((await this.deps.directory.nameState(approval.agent)) !== 'live') throw new Error(`agent ${approval.agent} no longer exists`)
    if (!approval.sha) throw new Error('the approval has no commit')
    new ConfigRepos(this.deps.paths, approval.agent).apply(approval.id, approval.sha)
    return `applied ${approval.sha.slice(0, 12)}; in effect from ${approval.agent}'s next turn`
  }

  private requested(row: Approval, by: string): ApprovalView {
    this.deps.log.info({ id: row.id, kind: row.kind, agent: row.agent, by }, 'approval requested')
    this.deps.live.publish({ type: 'approvals.changed' })
    this.deps.live.publish({ type: 'approval.requested', id: row.id, kind: row.kind, agent: row.agent })
    return toView(row)
  }

  private claimed(id: number, result: Awaited<ReturnType<ApprovalsRepository['resolve']>>): Approval {
    if (result.ok) return result.approval
    if (result.reason === 'not_found') throw new HiveError(HiveErrorCode.NotFound, `no approval with id ${id}`)
    const { status, note } = result.approval
    throw new HiveError(HiveErrorCode.Conflict, `approval ${id} is already ${status}${note ? ` (${note})` : ''}`)
  }

  private resolved(a: Approval): ApprovalView {
    sendHelperEvent(this.deps, {
      event: 'approval_resolved',
      id: a.id,
      kind: a.kind,
      agent: a.agent,
      status: a.status,
      ...(a.note ? { note: a.note } : {}),
      ...(a.sha ? { sha: a.sha } : {}),
    })
    this.deps.live.publish({ type: 'approvals.changed' })
    return toView(a)
  }
}

function toView(a: Approval): ApprovalView {
  return {
    id: a.id,
    kind: a.kind,
    agent: a.agent,
    description: a.description,
    commit_ref: a.commitRef,
    sha: a.sha,
    status: a.status,
    note: a.note,
    requested_at: a.requestedAt.getTime(),
    resolved_at: a.resolvedAt?.getTime() ?? null,
  }
}
