import { describe, expect, it } from 'vitest'
import { withTestDatabase } from '../test-database.ts'
import { ApprovalsRepository } from './approvals.ts'

describe('ApprovalsRepository', () => {
  it('resolves a pending approval once; the first outcome stays', () =>
    withTestDatabase(async (db) => {
      const approvals = new ApprovalsRepository(db.prisma)
      const a = await approvals.create({ kind: 'spawn', agent: 'scout', description: 'looks around' })
      expect(a).toMatchObject({ status: 'pending', note: null, resolvedAt: null })
      expect((await approvals.pendingFor('spawn', 'scout'))?.id).toBe(a.id)
      expect(await approvals.pendingFor('apply_commit', 'scout')).toBeNull()

      expect(await approvals.resolve(a.id, 'denied', 'not now')).toMatchObject({ ok: true, approval: { status: 'denied', note: 'not now' } })
      expect(await approvals.resolve(a.id, 'approved', null)).toMatchObject({ ok: false, reason: 'not_pending', approval: { status: 'denied' } })
      expect(await approvals.resolve(999, 'approved', null)).toEqual({ ok: false, reason: 'not_found' })
      expect(await approvals.pending()).toEqual([])
      expect((await approvals.history(10)).map((h) => h.id)).toEqual([a.id])
    }))

  it('records the outcome of an approved action', () =>
    withTestDatabase(async (db) => {
      const approvals = new ApprovalsRepository(db.prisma)
      const a = await approvals.create({ kind: 'apply_commit', agent: 'worker', description: null, commitRef: 'HEAD', sha: 'a'.repeat(40) })
      expect((await approvals.resolve(a.id, 'approved', null)).ok).toBe(true)
      expect(await approvals.settle(a.id, 'failed', 'git said no')).toMatchObject({ status: 'failed', note: 'git said no', sha: 'a'.repeat(40) })
    }))
})
