import type { PrismaClient } from '../generated/prisma/client.ts'
import type { Agent, DesiredState, RuntimeKind } from '../generated/prisma/client.ts'

/** The runtime names of design.md; Prisma's enum spells nixos-container with an underscore. */
export type RuntimeName = 'process' | 'nspawn' | 'nixos-container'

const toKind = (r: RuntimeName): RuntimeKind => (r === 'nixos-container' ? 'nixos_container' : r)
const fromKind = (k: RuntimeKind): RuntimeName => (k === 'nixos_container' ? 'nixos-container' : k)

export interface AgentRecord extends Omit<Agent, 'runtime'> {
  runtime: RuntimeName
}

const toRecord = (a: Agent): AgentRecord => ({ ...a, runtime: fromKind(a.runtime) })

/** What a purged agent's surviving rows are keyed by: no agent name contains `#`. */
const purgedName = (name: string, at: Date): string => `${name}#purged-${at.toISOString()}`

export class AgentsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async create(input: { name: string; role: 'agent' | 'manager'; runtime: RuntimeName; uidBase?: number | null }): Promise<AgentRecord> {
    const row = await this.prisma.agent.create({
      data: { name: input.name, role: input.role, runtime: toKind(input.runtime), uidBase: input.uidBase ?? null, createdAt: new Date() },
    })
    return toRecord(row)
  }

  async get(name: string): Promise<AgentRecord | null> {
    const row = await this.prisma.agent.findUnique({ where: { name } })
    return row ? toRecord(row) : null
  }

  async list({ includeDestroyed }: { includeDestroyed: boolean }): Promise<AgentRecord[]> {
    const rows = await this.prisma.agent.findMany({
      where: includeDestroyed ? {} : { destroyedAt: null },
      orderBy: { createdAt: 'asc' },
    })
    return rows.map(toRecord)
  }

  async setUidBase(name: string, uidBase: number): Promise<void> {
    await this.prisma.agent.update({ where: { name }, data: { uidBase } })
  }

  async setDesired(name: string, desired: DesiredState): Promise<void> {
    await this.prisma.agent.update({ where: { name }, data: { desired } })
  }

  /** Tombstone: the row (and the agent's state on disk) stays, revivable. */
  async markDestroyed(name: string): Promise<void> {
    await this.prisma.agent.update({ where: { name }, data: { destroyedAt: new Date(), desired: 'stopped' } })
  }

  async revive(name: string): Promise<void> {
    await this.prisma.agent.update({ where: { name }, data: { destroyedAt: null, desired: 'running' } })
  }

  /**
   * Purge: the row goes (settings cascade), and so does everything keyed by the name, in one
   * transaction, so a new agent of that name starts clean. Its own records go: its inbox (read,
   * unread, dead-lettered), turns, stream events and model requests. Mail it sent is its
   * recipients' history: it stays, its sender re-keyed to `<name>#purged-<time>` so nobody takes
   * it for the new agent's (and a reply to it is refused, `#` being no name). A pending config
   * commit for it fails rather than apply to the new agent; resolved approvals are re-keyed the
   * same way. Questions need nothing: only the manager asks, and it cannot be purged.
   */
  async purge(name: string, now = new Date()): Promise<{ inbox: number; sent: number; turns: number; events: number; modelRequests: number; approvals: number }> {
    const purged = purgedName(name, now)
    const [inbox, sent, turns, events, modelRequests, , approvals] = await this.prisma.$transaction([
      this.prisma.message.deleteMany({ where: { recipient: name } }),
      this.prisma.message.updateMany({ where: { sender: name }, data: { sender: purged } }),
      this.prisma.turn.deleteMany({ where: { agent: name } }),
      this.prisma.agentEvent.deleteMany({ where: { agent: name } }),
      this.prisma.modelRequest.deleteMany({ where: { agent: name } }),
      this.prisma.approval.updateMany({
        where: { agent: name, kind: 'apply_commit', status: 'pending' },
        data: { status: 'failed', note: 'the agent was purged', resolvedAt: now },
      }),
      // A pending spawn request stays: it asks for the name, which is free again.
      this.prisma.approval.updateMany({ where: { agent: name, status: { not: 'pending' } }, data: { agent: purged } }),
      this.prisma.agent.delete({ where: { name } }),
    ])
    return { inbox: inbox.count, sent: sent.count, turns: turns.count, events: events.count, modelRequests: modelRequests.count, approvals: approvals.count }
  }
}
