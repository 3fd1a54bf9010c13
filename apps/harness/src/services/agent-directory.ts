import type { AgentRecord, AgentsRepository } from '@hive/db'
import { HiveError, HiveErrorCode, type AgentView } from '@hive/mcp'
import type { ContainerRuntime } from '../adapters/runtime/container-runtime.ts'
import type { AgentActivity } from './agent-activity.ts'
import type { Broker } from './broker.ts'

export interface AgentDirectoryDeps {
  agents: AgentsRepository
  runtime: Pick<ContainerRuntime, 'status' | 'isolated'>
  broker: Pick<Broker, 'unread'>
  activity: Pick<AgentActivity, 'of'>
}

/** Who exists, in what state: every listing and every "is this a live agent?" check. */
export class AgentDirectory {
  constructor(private readonly deps: AgentDirectoryDeps) {}

  async list(includeDestroyed = false): Promise<AgentView[]> {
    return (await this.deps.agents.list({ includeDestroyed })).map((row) => this.toView(row))
  }

  async view(name: string): Promise<AgentView> {
    return this.toView(await this.existing(name))
  }

  /** Whether a name is taken (a live agent or a tombstone), and whether it is live. */
  async nameState(name: string): Promise<'live' | 'destroyed' | 'none'> {
    const row = await this.deps.agents.get(name)
    return !row ? 'none' : row.destroyedAt ? 'destroyed' : 'live'
  }

  async existing(name: string): Promise<AgentRecord> {
    const row = await this.deps.agents.get(name)
    if (!row) throw new HiveError(HiveErrorCode.NotFound, `no agent named ${name}`)
    return row
  }

  /** An agent that exists and is not destroyed; `what` names the argument in the error. */
  async live(name: string, what = 'agent'): Promise<AgentRecord> {
    const agent = await this.deps.agents.get(name)
    if (!agent) throw new HiveError(HiveErrorCode.NotFound, `unknown ${what} "${name}": no such agent`)
    if (agent.destroyedAt) throw new HiveError(HiveErrorCode.PreconditionFailed, `${what} "${name}" is destroyed`)
    return agent
  }

  private toView(row: AgentRecord): AgentView {
    const activity = this.deps.activity.of(row.name) ?? { activity: 'idle' as const, since: row.createdAt.getTime() }
    return {
      name: row.name,
      role: row.role,
      runtime: row.runtime,
      isolated: this.deps.runtime.isolated,
      desired: row.desired,
      state: row.destroyedAt ? 'destroyed' : this.deps.runtime.status(row.name),
      activity: activity.activity,
      activity_since: activity.since,
      retry_at: activity.retryAt ?? null,
      unread: this.deps.broker.unread(row.name),
      created_at: row.createdAt.getTime(),
      destroyed_at: row.destroyedAt?.getTime() ?? null,
    }
  }
}
