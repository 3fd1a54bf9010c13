import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HiveErrorCode, Limits, type AgentView, type InboxMessage, type JsonLinesClient, type adminOps } from '@hive/mcp'
import { onTurnContaining } from '@hive/testkit'
import { useHive } from './support/hive-fixture.ts'
import { connectAdmin, connectAgent } from './support/sockets.ts'
import { readHiveDb } from './support/hive-db.ts'

/** About `bytes` of UTF-8 CJK text (3 bytes a character), in lines like a real document. */
function cjkText(bytes: number, seed: number): string {
  const chars = Array.from({ length: Math.floor(bytes / 3) }, (_, i) => (i % 61 === 60 ? '\n' : String.fromCharCode(0x4e00 + ((i * 7 + seed) % 20_000))))
  return chars.join('')
}

const FILES = [1, 2, 3].map((n) => `cjk-${n}.txt`)

interface EventRow {
  kind: string
  payloadJson: string
}

/**
 * Large results on the agent → daemon stream and on the operator's listings (#13): three
 * parallel Reads of 100 KB CJK files once made one `turn_events` line the daemon could only
 * refuse, and forty 60 KiB messages one inbox answer the CLI dropped.
 */
describe('large tool results and large mail', () => {
  const hive = useHive({ agents: ['worker'] })
  const { daemon } = hive
  const stateDir = () => join(daemon.home, 'agents', 'worker', 'state')
  let admin: JsonLinesClient<typeof adminOps>

  beforeAll(async () => {
    admin = await connectAdmin(daemon.home)
  })
  afterAll(() => admin.close())

  it('completes a turn with three parallel 100 KB CJK Read results, and the agent returns to idle', async () => {
    for (const [i, file] of FILES.entries()) writeFileSync(join(stateDir(), file), cjkText(100_000, i))
    // The daemon's home (and the files' absolute paths) exists only once the fixture started.
    hive.fake.setScripts([
      onTurnContaining('reader', 'read the three cjk files', [
        { toolUse: FILES.map((file) => ({ name: 'Read', input: { file_path: join(stateDir(), file) } })) },
        { text: 'Read all three.' },
      ]),
    ])
    expect((await daemon.cli('send', 'worker', 'please read the three cjk files')).code).toBe(0)

    // The model got all three results back (its second step was asked for).
    const final = await hive.fake.waitForRequest((r) => r.script === 'reader' && r.answer === 'step 1', 120_000)
    const conversation = JSON.stringify(final.body)
    // (the first line of each file: Read numbers the lines it returns)
    for (let i = 0; i < 3; i++) expect(conversation).toContain(cjkText(100_000, i).split('\n')[0])

    await expect
      .poll(async () => (await admin.call('turns', { name: 'worker' }))[0]?.ok, { timeout: 60_000, interval: 250 })
      .toBe(true)
    await expect
      .poll(async () => (await admin.call('list', {})).find((a: AgentView) => a.name === 'worker')?.activity, { timeout: 30_000, interval: 250 })
      .toBe('idle')

    // Every event reached the daemon, the three big results stored truncated within their cap.
    const rows = readHiveDb(daemon.home, (db) => db.prepare(`SELECT kind, payloadJson FROM "AgentEvent" WHERE agent = 'worker' ORDER BY id`).all() as EventRow[])
    const toolResults = rows.filter((r) => r.kind === 'user' && r.payloadJson.includes('"truncated":true'))
    expect(toolResults).toHaveLength(3)
    for (const r of toolResults) expect(Buffer.byteLength(r.payloadJson, 'utf8')).toBeLessThanOrEqual(Limits.MAX_EVENT_PAYLOAD_BYTES)
    expect(rows.map((r) => r.kind)).toEqual(expect.arrayContaining(['system:init', 'assistant', 'result:success']))
    expect(rows.at(-1)?.kind).toBe('result:success')

    const logs = await daemon.cli('logs', 'worker', '--lines', '10000')
    expect(logs.stdout).toContain('turn finished')
    expect(logs.stdout).not.toContain('could not forward turn events')
  })

  it('lists all forty 60 KiB messages in hive inbox, page by page', async () => {
    const worker = await connectAgent(daemon.home, 'worker')
    const bodies = Array.from({ length: 40 }, (_, i) => `#${i} "quoted"\n${cjkText(60 * 1024 - 40, i)}`)
    try {
      for (const body of bodies) await worker.call('send', { to: 'operator', body })
    } finally {
      worker.close()
    }
    const sentBytes = bodies.reduce((sum, b) => sum + Buffer.byteLength(b, 'utf8'), 0)
    expect(sentBytes).toBeGreaterThan(Limits.MAX_REPLY_LINE_BYTES) // more than one answer line may carry

    const listed = await daemon.cliJson<{ unread: number; messages: InboxMessage[] }>('inbox', '--json')
    expect(listed.unread).toBe(40)
    expect(listed.messages.map((m) => m.body)).toEqual([...bodies].reverse())

    const human = await daemon.cli('inbox')
    expect(human.code, human.stderr).toBe(0)
    for (let i = 0; i < 40; i++) expect(human.stdout).toContain(`#${i} "quoted"`)

    const five = await daemon.cliJson<{ messages: InboxMessage[] }>('inbox', '--limit', '5', '--json')
    expect(five.messages.map((m) => m.body)).toEqual(bodies.slice(-5).reverse())

    // One page of the op: bounded in bytes, with a cursor that walks back to the oldest.
    const first = await admin.call('inbox', {})
    expect(first.messages.length).toBeLessThan(40)
    expect(first.next_before).toBe(first.messages.at(-1)?.id)
    const second = await admin.call('inbox', { before: first.next_before ?? 0 })
    expect(second.messages[0]?.id).toBeLessThan(first.next_before ?? 0)
  })

  it.each([
    [{ limit: 0 }, 'limit'],
    [{ limit: Limits.MAX_LIST_LIMIT + 1 }, 'limit'],
    [{ limit: 2.5 }, 'limit'],
    [{ before: 0 }, 'before'],
    [{ before: 'last' }, 'before'],
  ])('refuses inbox %j by naming the field', async (args, field) => {
    const error = await admin.request('inbox', args).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: HiveErrorCode.BadRequest, message: expect.stringContaining(field) as string })
  })

  it('refuses hive inbox --limit 0 with a clear error', async () => {
    const r = await daemon.cli('inbox', '--limit', '0')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('--limit')
    expect(r.stderr).not.toMatch(/\n\s+at /) // no stack trace
  })
})
