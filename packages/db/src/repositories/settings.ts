import type { AgentSetting, PrismaClient } from '../generated/prisma/client.ts'

/** Operator overrides per agent; they win over the agent's applied agent.json. */
export class SettingsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  get(agentName: string): Promise<AgentSetting | null> {
    return this.prisma.agentSetting.findUnique({ where: { agentName } })
  }

  async setModel(agentName: string, model: string | null, updatedBy: string): Promise<AgentSetting> {
    return this.prisma.agentSetting.upsert({
      where: { agentName },
      create: { agentName, model, updatedBy },
      update: { model, updatedBy },
    })
  }
}
