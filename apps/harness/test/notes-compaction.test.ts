import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { onTurnContaining } from '@hive/testkit'
import { useHive } from './support/hive-fixture.ts'
import { managerEvents } from './support/manager-events.ts'

const COMPACTED = '# worker — notes\n- task: document the API\n- decided: sqlite (operator, #3)'
const bigNotes = (tag: string) => `# worker — notes\n${Array.from({ length: 60 }, (_, i) => `- ${tag} step ${i}: looked at file ${i}, nothing new\n`).join('')}`

/**
 * Notes compaction with the real CLI: after a turn, notes.md over the agent's `notesCompactBytes`
 * is rewritten by a second, tool-less claude session; the old copy is kept, the manager is told,
 * and the agent's own `--continue` session is not disturbed. A bad rewrite changes nothing.
 */
describe('notes compaction', () => {
  const hive = useHive({
    agents: ['worker'],
    scripts: [onTurnContaining('compactor', 'Compact these notes', [{ text: COMPACTED }])],
  })
  const { daemon } = hive
  const notes = () => join(daemon.home, 'agents', 'worker', 'state', 'notes.md')
  const compactedEvents = () => managerEvents(daemon.home, 'notes_compacted')

  it('rewrites notes.md that outgrew its limit after a turn, keeping a backup', async () => {
    writeFileSync(join(daemon.home, 'applied', 'worker', 'agent.json'), JSON.stringify({ bash: [], notesCompactBytes: 1024 }))
    const original = bigNotes('old')
    writeFileSync(notes(), original)
    expect((await daemon.cli('send', 'worker', 'first task: hello')).code).toBe(0)

    await expect.poll(() => readFileSync(notes(), 'utf8'), { timeout: 120_000, interval: 300 }).toBe(`${COMPACTED}\n`)
    expect(readFileSync(`${notes()}.bak`, 'utf8')).toBe(original)
    await expect.poll(compactedEvents, { timeout: 30_000 }).toEqual([
      { event: 'notes_compacted', agent: 'worker', bytes_before: Buffer.byteLength(original), bytes_after: Buffer.byteLength(`${COMPACTED}\n`) },
    ])

    const compactor = hive.fake.requests.find((r) => r.script === 'compactor')
    expect(compactor?.summary?.tools).toEqual([]) // no tools, no MCP: it can only answer
    expect(compactor?.summary?.system).toContain("You compact an agent's durable notes file")
    expect(compactor?.summary?.turnText).toContain('- old step 59')

    // The agent's next turn continues its own session, not the compactor's.
    expect((await daemon.cli('send', 'worker', 'second task: again')).code).toBe(0)
    const next = await hive.fake.waitForRequest((r) => r.summary?.turnText.includes('second task: again') === true, 120_000)
    const conversation = JSON.stringify(next.body)
    expect(conversation).toContain('first task: hello')
    expect(conversation).not.toContain('Compact these notes')
  })

  it('keeps the notes when the rewrite is not smaller', async () => {
    hive.fake.setScripts([onTurnContaining('bloated', 'Compact these notes', [{ text: bigNotes('even longer, more words') }])])
    const original = bigNotes('new')
    writeFileSync(notes(), original)
    expect((await daemon.cli('send', 'worker', 'third task')).code).toBe(0)
    await hive.fake.waitForRequest((r) => r.script === 'bloated', 120_000)
    await expect.poll(async () => (await daemon.cli('logs', 'worker')).stdout, { timeout: 30_000 }).toContain('the compacted notes are not smaller')
    expect(readFileSync(notes(), 'utf8')).toBe(original)
    expect(existsSync(`${notes()}.bak`)).toBe(true)
    expect(compactedEvents()).toHaveLength(1)
  })
})
