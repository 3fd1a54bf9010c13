import type { PrismaClient, Turn } from '../generated/prisma/client.ts'

export type NewTurn = Omit<Turn, 'id'>

export class TurnsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  record(turn: NewTurn): Promise<Turn> {
    return this.prisma.turn.create({ data: turn })
  }

  last(agent: string): Promise<Turn | null> {
    return this.prisma.turn.findFirst({ where: { agent }, orderBy: { id: 'desc' } })
  }

  recent(agent: string, limit: number): Promise<Turn[]> {
    return this.prisma.turn.findMany({ where: { agent }, orderBy: { id: 'desc' }, take: limit })
  }
}
