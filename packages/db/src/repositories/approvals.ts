import type { Approval, ApprovalKind, ApprovalStatus, PrismaClient } from '../generated/prisma/client.ts'

export interface NewApproval {
  kind: ApprovalKind
  agent: string
  description: string | null
  commitRef?: string
  sha?: string
}

export type ApprovalResolution =
  | { ok: true; approval: Approval }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'not_pending'; approval: Approval }

export class ApprovalsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  create(a: NewApproval): Promise<Approval> {
    return this.prisma.approval.create({
      data: {
        kind: a.kind,
        agent: a.agent,
        description: a.description,
        commitRef: a.commitRef ?? null,
        sha: a.sha ?? null,
        requestedAt: new Date(),
      },
    })
  }

  get(id: number): Promise<Approval | null> {
    return this.prisma.approval.findUnique({ where: { id } })
  }

  pending(): Promise<Approval[]> {
    return this.prisma.approval.findMany({ where: { status: 'pending' }, orderBy: { id: 'asc' } })
  }

  pendingFor(kind: ApprovalKind, agent: string): Promise<Approval | null> {
    return this.prisma.approval.findFirst({ where: { kind, agent, status: 'pending' } })
  }

  /** Resolved ones, newest first. */
  history(limit: number): Promise<Approval[]> {
    return this.prisma.approval.findMany({ where: { status: { not: 'pending' } }, orderBy: { id: 'desc' }, take: limit })
  }

  /**
   * Claims a pending approval for resolution in one conditional UPDATE, so two operators (or a
   * double click) cannot both approve: the loser sees `not_pending` and the first outcome stays.
   */
  async resolve(id: number, status: Exclude<ApprovalStatus, 'pending'>, note: string | null): Promise<ApprovalResolution> {
    const { count } = await this.prisma.approval.updateMany({
      where: { id, status: 'pending' },
      data: { status, note, resolvedAt: new Date() },
    })
    const approval = await this.get(id)
    if (!approval) return { ok: false, reason: 'not_found' }
    if (count === 0) return { ok: false, reason: 'not_pending', approval }
    return { ok: true, approval }
  }

  /** After an approved action ran: its outcome (failed, with the error) replaces `approved`. */
  async settle(id: number, status: 'approved' | 'failed', note: string | null): Promise<Approval> {
    return this.prisma.approval.update({ where: { id }, data: { status, note } })
  }
}
