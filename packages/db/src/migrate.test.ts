import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { applyMigrations, pendingSchemaDiff } from './migrate.ts'

describe('migrations', () => {
  it('apply on a fresh database, once, in WAL mode, recorded like prisma migrate deploy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hive-migrate-'))
    const file = join(dir, 'hive.db')
    try {
      const first = await applyMigrations(file)
      expect(first.length).toBeGreaterThan(0)
      expect(first[0]).toMatch(/^\d{14}_init$/)
      expect(await applyMigrations(file)).toEqual([])
      const db = new Database(file, { readonly: true })
      const rows = db.prepare('SELECT migration_name, finished_at FROM _prisma_migrations').all() as { finished_at: number | null }[]
      expect(rows).toHaveLength(first.length)
      expect(rows.every((r) => r.finished_at !== null)).toBe(true)
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type='table' ORDER BY name`).all() as { name: string }[]).map((t) => t.name)
      expect(tables).toEqual(expect.arrayContaining(['Agent', 'AgentEvent', 'AgentSetting', 'Approval', 'Message', 'OperatorQuestion', 'Turn']))
      db.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('match schema.prisma (no schema edit without its migration)', async () => {
    expect(await pendingSchemaDiff()).toBe('')
  })
})
