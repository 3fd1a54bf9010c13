import type { OperatorQuestion, PrismaClient, QuestionStatus } from '../generated/prisma/client.ts'

export interface NewQuestion {
  asker: string
  question: string
  options: string[] | null
  multi: boolean
  askedAt: Date
  deadlineAt: Date | null
}

export type ResolveResult =
  | { ok: true; question: OperatorQuestion }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'not_pending'; question: OperatorQuestion }

export class QuestionsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  create(q: NewQuestion): Promise<OperatorQuestion> {
    return this.prisma.operatorQuestion.create({
      data: {
        asker: q.asker,
        question: q.question,
        optionsJson: q.options ? JSON.stringify(q.options) : null,
        multi: q.multi,
        askedAt: q.askedAt,
        deadlineAt: q.deadlineAt,
      },
    })
  }

  get(id: number): Promise<OperatorQuestion | null> {
    return this.prisma.operatorQuestion.findUnique({ where: { id } })
  }

  pending(): Promise<OperatorQuestion[]> {
    return this.prisma.operatorQuestion.findMany({ where: { status: 'pending' }, orderBy: { id: 'asc' } })
  }

  /** Answered, cancelled and expired ones, newest first. */
  history(limit: number): Promise<OperatorQuestion[]> {
    return this.prisma.operatorQuestion.findMany({ where: { status: { not: 'pending' } }, orderBy: { id: 'desc' }, take: limit })
  }

  /**
   * Resolves a question only while it is pending, in one conditional UPDATE: two answers racing
   * cannot both win, and the first one is never overwritten.
   */
  async resolve(id: number, status: Exclude<QuestionStatus, 'pending'>, answer: string, answerer: string): Promise<ResolveResult> {
    const { count } = await this.prisma.operatorQuestion.updateMany({
      where: { id, status: 'pending' },
      data: { status, answer, answerer, answeredAt: new Date() },
    })
    const question = await this.get(id)
    if (!question) return { ok: false, reason: 'not_found' }
    if (count === 0) return { ok: false, reason: 'not_pending', question }
    return { ok: true, question }
  }
}
