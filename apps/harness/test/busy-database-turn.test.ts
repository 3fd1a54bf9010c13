import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, expect, it } from 'vitest'
import { onTurnContaining } from '@hive/testkit'
import { HivePaths } from '../src/adapters/hive-paths.ts'
import { useHive } from './support/hive-fixture.ts'
import { readHiveDb } from './support/hive-db.ts'

/**
 * A turn whose end lands while another process holds the database for much longer than the
 * daemon waits (10 s): its `turn_events` / `turn_end` calls fail with TIMEOUT on a live
 * connection, and so do the loop's tries again. The agent's turn loop must not die of it: the
 * message goes back to the queue untouched (a busy database is not its fault), is handled again
 * once the database is free, and the same agent process handles the next one.
 */
describe('a turn that ends while the database is held', () => {
  const hive = useHive({
    agents: ['worker'],
    env: { CLAUDE_CODE_MAX_RETRIES: '1' },
    scripts: [onTurnContaining('slow errand', 'slow errand', [{ text: 'done with the slow errand', delayMs: 3000 }])],
    defaultText: 'ok',
  })
  const { daemon } = hive
  const harnessPid = () => Number(readFileSync(new HivePaths(daemon.home).agentPidFile('worker'), 'utf8'))
  const messageRow = (id: number) => readHiveDb(daemon.home, (db) => db.prepare('SELECT ackedAt IS NOT NULL AS acked, redelivered FROM "Message" WHERE id = ?').get(id))

  it('requeues the message, handles it after the release and keeps the same agent process', async () => {
    const pidBefore = harnessPid()
    // The holder is up before the turn starts; a line on its stdin takes the lock at once (a node
    // start while the model thinks could outlast the thinking on a busy box).
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))}))(process.argv[1]);
         console.log('ready');
         process.stdin.once('data', () => {
           db.exec('BEGIN IMMEDIATE'); console.log('locked');
           setTimeout(() => { db.exec('ROLLBACK'); console.log('released'); process.exit(0) }, 60000)
         })`,
        join(daemon.home, 'hive.db'),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    )
    const lines = createInterface({ input: holder.stdout })
    const line = (want: string) => new Promise<void>((resolve) => lines.on('line', (l) => l === want && resolve()))
    const [ready, locked, released] = [line('ready'), line('locked'), line('released')]
    await ready
    const sent = await daemon.cli('send', 'worker', 'a slow errand for you')
    expect(sent.code, sent.stderr).toBe(0)
    const id = Number(/message (\d+)/.exec(sent.stdout)?.[1])
    // The model is "thinking" (3 s): hold the database for 60 s, past the three tries of turn_end (10 s each, 1 s and 2 s apart).
    await hive.fake.waitForRequest((r) => r.summary?.turnText.includes('a slow errand for you') === true, 60_000)
    holder.stdin.end('lock\n')
    await locked
    await released

    // Handled a second time once the database is free (the first turn's end never landed), then acked.
    await expect.poll(() => hive.fake.requests.filter((r) => r.summary?.turnText.includes('a slow errand for you')).length, { timeout: 90_000, interval: 500 }).toBeGreaterThanOrEqual(2)
    await expect.poll(() => messageRow(id), { timeout: 60_000, interval: 500 }).toEqual({ acked: 1, redelivered: 1 })
    const log = readFileSync(join(daemon.home, 'logs', 'worker.log'), 'utf8')
    expect(log).toContain('a call ending the turn failed; trying again')
    expect(log).toContain('the database stayed busy')
    expect(log).toContain('a call to the daemon failed; the loop goes on after a pause')
    expect(log).toContain('messages of the failed iteration are back in the queue')
    expect(log).not.toContain('charged a turn error')

    // The same turn loop takes the next message.
    const next = await daemon.cli('send', 'worker', 'and one more')
    expect(next.code, next.stderr).toBe(0)
    await hive.fake.waitForRequest((r) => r.summary?.turnText.includes('and one more') === true, 60_000)
    const nextId = Number(/message (\d+)/.exec(next.stdout)?.[1])
    await expect.poll(() => messageRow(nextId), { timeout: 60_000, interval: 500 }).toEqual({ acked: 1, redelivered: 0 })
    expect(harnessPid()).toBe(pidBefore)
    await expect.poll(async () => (await daemon.cliJson<{ name: string; activity: string }[]>('list', '--json')).find((a) => a.name === 'worker')?.activity, { timeout: 30_000 }).toBe('idle')
  }, 240_000)
})
