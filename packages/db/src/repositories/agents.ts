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

  /** Purge: the row goes too (settings cascade). */
  async remove(name: string): Promise<void> {
    await this.prisma.agent.delete({ where: { name } })
  }
}
