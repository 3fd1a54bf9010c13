import type { OperatorSession, PrismaClient } from '../generated/prisma/client.ts'

/**
 * The operator's dashboard sessions, keyed by a hash of their id: the id itself is never stored,
 * so a copy of hive.db does not log anyone in.
 */
export class OperatorSessionsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  create(idHash: string, at: Date): Promise<OperatorSession> {
    return this.prisma.operatorSession.create({ data: { idHash, createdAt: at, lastSeenAt: at } })
  }

  find(idHash: string): Promise<OperatorSession | null> {
    return this.prisma.operatorSession.findUnique({ where: { idHash } })
  }

  /** Marks a session used at `at`; false when it is gone (revoked meanwhile). */
  async touch(idHash: string, at: Date): Promise<boolean> {
    const { count } = await this.prisma.operatorSession.updateMany({ where: { idHash }, data: { lastSeenAt: at } })
    return count > 0
  }

  async delete(idHash: string): Promise<boolean> {
    const { count } = await this.prisma.operatorSession.deleteMany({ where: { idHash } })
    return count > 0
  }

  /** Deletes the sessions last used before `cutoff`; how many went. */
  async deleteIdleSince(cutoff: Date): Promise<number> {
    const { count } = await this.prisma.operatorSession.deleteMany({ where: { lastSeenAt: { lt: cutoff } } })
    return count
  }

  /** Revokes every session; how many there were. */
  async deleteAll(): Promise<number> {
    const { count } = await this.prisma.operatorSession.deleteMany({})
    return count
  }
}
