import { describe, expect, it } from 'vitest'
import { withTestDatabase } from '../test-database.ts'
import { QuestionsRepository } from './questions.ts'

describe('QuestionsRepository', () => {
  it('resolves a pending question once and keeps the first answer', () =>
    withTestDatabase(async (db) => {
      const questions = new QuestionsRepository(db.prisma)
      const q = await questions.create({ asker: 'manager', question: 'ok?', options: ['yes', 'no'], multi: false, askedAt: new Date(), deadlineAt: null })
      expect(JSON.parse(q.optionsJson ?? '[]')).toEqual(['yes', 'no'])
      expect((await questions.pending()).map((p) => p.id)).toEqual([q.id])
      const first = await questions.resolve(q.id, 'answered', 'yes', 'operator')
      expect(first).toMatchObject({ ok: true, question: { status: 'answered', answer: 'yes' } })
      const second = await questions.resolve(q.id, 'answered', 'no', 'operator')
      expect(second).toMatchObject({ ok: false, reason: 'not_pending', question: { answer: 'yes' } })
      expect(await questions.resolve(999, 'answered', 'x', 'operator')).toEqual({ ok: false, reason: 'not_found' })
      expect(await questions.pending()).toEqual([])
      expect((await questions.history(10)).map((h) => h.id)).toEqual([q.id])
    }))
})
