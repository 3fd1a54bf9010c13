import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { onTurnContaining } from '@hive/testkit'
import { defaultClaudeBin } from '../src/adapters/claude-command.ts'
import { useHive } from './support/hive-fixture.ts'
import { connectAdmin } from './support/sockets.ts'
import { readHiveDb } from './support/hive-db.ts'

/** What the wrapper sleeps on once claude was stopped: unique, so the test can look for it. */
const LINGER = '6061.5'

/**
 * A claude that will not stop politely: SIGINT and SIGTERM are ignored by the wrapper, and once
 * the real claude under it was interrupted, the wrapper lingers on. Only SIGKILL ends it.
 */
function stubbornClaude(dir: string): string {
  const bin = join(dir, 'stubborn-claude')
  writeFileSync(bin, `#!/bin/sh\ntrap '' INT TERM\n"${defaultClaudeBin()}" "$@"\nstatus=$?\n[ "$status" -eq 0 ] || sleep ${LINGER}\nexit "$status"\n`)
  chmodSync(bin, 0o755)
  return bin
}

const lingering = () => {
  try {
    return execFileSync('pgrep', ['-f', `sleep ${LINGER}`], { encoding: 'utf8' }).trim()
  } catch {
    return '' // pgrep exits 1 when nothing matches
  }
}

/**
 * Acceptance: a turn whose model stream stalls ends with `turn timed out` at the agent's
 * `turnTimeoutSeconds`; the operator's cancel ends a claude that ignores SIGINT (and SIGTERM)
 * within 10 s — SIGINT → SIGTERM → SIGKILL to its process group.
 */
describe('stopping a turn', () => {
  const binDir = mkdtempSync(join(tmpdir(), 'hive-stubborn-'))
  afterAll(() => rmSync(binDir, { recursive: true, force: true }))
  const hive = useHive({
    agents: ['worker'],
    env: { HIVE_CLAUDE_BIN: stubbornClaude(binDir) },
    scripts: [onTurnContaining('stall', 'think forever', [{ stall: true }]), onTurnContaining('stalled compactor', 'Compact these notes', [{ stall: true }])],
  })
  const { daemon } = hive

  const lastTurn = () =>
    readHiveDb(
      daemon.home,
      (db) => db.prepare(`SELECT ok, error, durationMs FROM "Turn" WHERE agent = 'worker' ORDER BY id DESC LIMIT 1`).get() as { ok: number; error: string | null; durationMs: number } | undefined,
    )
  const stalls = () => hive.fake.requests.filter((r) => r.answer === 'stall').length

  it("cancel kills a claude that ignores SIGINT within 10 s", async () => {
    expect((await daemon.cli('send', 'worker', 'think forever, then cancel')).code).toBe(0)
    await hive.fake.waitForRequest((r) => r.answer === 'stall' && r.summary?.turnText.includes('then cancel') === true, 120_000)
    const admin = await connectAdmin(daemon.home)
    const cancelledAt = Date.now()
    try {
      expect(await admin.call('cancel_turn', { name: 'worker' })).toEqual({ name: 'worker', command: 'cancel' })
    } finally {
      admin.close()
    }
    await expect.poll(() => lastTurn()?.error, { timeout: 10_000, interval: 100 }).toBe('cancelled by the operator')
    expect(Date.now() - cancelledAt).toBeLessThan(10_000)
    expect(lingering()).toBe('') // SIGKILL reached the whole group
  })

  it('a stalled model stream ends with "turn timed out" at turnTimeoutSeconds', async () => {
    writeFileSync(join(daemon.home, 'applied', 'worker', 'agent.json'), JSON.stringify({ bash: [], turnTimeoutSeconds: 5 }))
    const before = stalls()
    const sentAt = Date.now()
    expect((await daemon.cli('send', 'worker', 'think forever until the timeout')).code).toBe(0)
    await expect.poll(() => lastTurn()?.error, { timeout: 60_000, interval: 200 }).toBe('turn timed out after 5 s')
    hive.fake.setScripts([]) // healed: the retry is answered
    const turn = lastTurn()
    expect(turn?.ok).toBe(0)
    // The limit, plus the SIGINT → SIGTERM → SIGKILL steps (the stub ignores the first two).
    expect(turn?.durationMs).toBeGreaterThanOrEqual(5_000)
    expect(turn?.durationMs).toBeLessThan(5_000 + 10_000)
    expect(Date.now() - sentAt).toBeLessThan(60_000)
    expect(stalls()).toBeGreaterThan(before)
    expect(lingering()).toBe('')

    // A timeout is a turn error: it counts an attempt, so a message that always hangs ends as a
    // dead letter rather than looping. Healed, the next try handles it.
    await expect
      .poll(
        () => readHiveDb(daemon.home, (db) => db.prepare(`SELECT ackedAt IS NOT NULL AS acked, attempts >= 1 AS counted FROM "Message" WHERE body LIKE '%until the timeout%'`).get()),
        { timeout: 60_000, interval: 250 },
      )
      .toEqual({ acked: 1, counted: 1 })
  })

  it('cancel stops a notes compaction that hangs, leaving the notes as they were', async () => {
    hive.fake.setScripts([onTurnContaining('stalled compactor', 'Compact these notes', [{ stall: true }])])
    writeFileSync(join(daemon.home, 'applied', 'worker', 'agent.json'), JSON.stringify({ bash: [], notesCompactBytes: 1024 }))
    const notes = join(daemon.home, 'agents', 'worker', 'state', 'notes.md')
    const original = `# worker — notes\n${'- nothing new here\n'.repeat(100)}`
    writeFileSync(notes, original)
    expect((await daemon.cli('send', 'worker', 'a short task, then the notes are compacted')).code).toBe(0)
    await hive.fake.waitForRequest((r) => r.answer === 'stall' && r.summary?.turnText.includes('Compact these notes') === true, 120_000)
    const activity = async () => (await daemon.cliJson<{ name: string; activity: string }[]>('list', '--json')).find((a) => a.name === 'worker')?.activity
    expect(await activity()).toBe('compacting')

    const admin = await connectAdmin(daemon.home)
    try {
      await admin.call('cancel_turn', { name: 'worker' })
    } finally {
      admin.close()
    }
    await expect.poll(activity, { timeout: 10_000, interval: 100 }).toBe('idle')
    expect(readFileSync(notes, 'utf8')).toBe(original)
    expect(lingering()).toBe('')
  })
})
