import type { ModelRequest, PrismaClient } from '../generated/prisma/client.ts'

export type NewModelRequest = Omit<ModelRequest, 'id'>

/** Model API requests as the gateway saw them (agent, model, status, tokens, duration). */
export class ModelRequestsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  record(request: NewModelRequest): Promise<ModelRequest> {
    return this.prisma.modelRequest.create({ data: request })
  }

  recent(agent: string, limit: number): Promise<ModelRequest[]> {
    return this.prisma.modelRequest.findMany({ where: { agent }, orderBy: { id: 'desc' }, take: limit })
  }
}
