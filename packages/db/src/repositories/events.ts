import type { AgentEvent, PrismaClient } from '../generated/prisma/client.ts'

/** Live-stream rows kept per agent; older ones are dropped as new ones arrive. */
export const EVENTS_KEPT_PER_AGENT = 2000

export interface NewEvent {
  kind: string
  payload: unknown
}

export class EventsRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly keep = EVENTS_KEPT_PER_AGENT,
  ) {}

  /** Appends a batch in order and trims the agent's history to the newest `keep` rows. */
  async append(agent: string, events: NewEvent[]): Promise<AgentEvent[]> {
    const ts = new Date()
    const rows = await this.prisma.$transaction(
      events.map((e) => this.prisma.agentEvent.create({ data: { agent, ts, kind: e.kind, payloadJson: JSON.stringify(e.payload ?? null) } })),
    )
    const cutoff = await this.prisma.agentEvent.findFirst({
      where: { agent },
      orderBy: { id: 'desc' },
      skip: this.keep,
      select: { id: true },
    })
    if (cutoff) await this.prisma.agentEvent.deleteMany({ where: { agent, id: { lte: cutoff.id } } })
    return rows
  }

  /** Oldest first; `afterId` resumes a live view without duplicates. */
  async recent(agent: string, limit: number, afterId = 0): Promise<AgentEvent[]> {
    const rows = await this.prisma.agentEvent.findMany({
      where: { agent, id: { gt: afterId } },
      orderBy: { id: 'desc' },
      take: limit,
    })
    return rows.reverse()
  }
}
