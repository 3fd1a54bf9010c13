import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { MessageStore, applyMigrations } from '@hive/db'
import { connectAgent } from '../apps/harness/test/support/sockets.ts'
import { Broker } from '../apps/harness/src/services/broker.ts'
import { HiveDaemon } from '../apps/harness/test/support/hive-daemon.ts'
import { nowMs, summarize, type Latency } from './stats.ts'

const BODY = 'a typical agent message body: please review the change in /state/work and reply when done. '.repeat(2)

async function freshDb(dir: string, name: string): Promise<string> {
  const file = join(dir, name)
  await applyMigrations(file)
  return file
}

function openRaw(file: string): Database.Database {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  return db
}

/** Sends through the broker (validation-free core: insert + wake bookkeeping) vs raw inserts, same rows. */
export async function benchSends(n: number): Promise<{ broker: number; raw: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hive-bench-'))
  try {
    const brokerDb = openRaw(await freshDb(dir, 'broker.db'))
    const broker = new Broker(new MessageStore(brokerDb))
    const rawDb = openRaw(await freshDb(dir, 'raw.db'))
    const insert = rawDb.prepare('INSERT INTO "Message" ("sender", "recipient", "body", "sentAt") VALUES (?, ?, ?, ?)')
    const rate = (fn: (i: number) => void) => {
      for (let i = 0; i < 500; i++) fn(i) // warm-up
      const t0 = nowMs()
      for (let i = 0; i < n; i++) fn(i)
      return Math.round(n / ((nowMs() - t0) / 1000))
    }
    const result = {
      raw: rate((i) => insert.run('a', `r${i % 100}`, BODY, Date.now())),
      // The insert runs within the call; the promise is settled already (a rejection would end the bench).
      broker: rate((i) => void broker.send('a', [`r${i % 100}`], BODY)),
    }
    brokerDb.close()
    rawDb.close()
    return result
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Oldest unread for a recipient (the lease query of `recv`) on a table of `rows` messages. */
export async function benchRecv(rows: number, recipients: number, lookups: number): Promise<Latency> {
  const dir = mkdtempSync(join(tmpdir(), 'hive-bench-'))
  try {
    const db = openRaw(await freshDb(dir, 'recv.db'))
    const insert = db.prepare('INSERT INTO "Message" ("sender", "recipient", "body", "sentAt", "deliveredAt", "ackedAt") VALUES (?, ?, ?, ?, ?, ?)')
    const perRecipient = Math.ceil(rows / recipients)
    const base = Date.now() - rows * 1000
    db.transaction(() => {
      let n = 0
      for (let k = 0; k < perRecipient; k++) {
        for (let r = 0; r < recipients && n < rows; r++, n++) {
          // The older half of every inbox is already handled, like a hive that has run a while.
          const done = k < perRecipient / 2 ? base + n * 1000 + 1 : null
          insert.run('sender', `r${r}`, BODY, base + n * 1000, done, done)
        }
      }
    })()
    db.exec('ANALYZE')
    const store = new MessageStore(db)
    // Untimed: hand the lease back so every lookup sees the same table.
    const unlease = db.prepare('UPDATE "Message" SET "deliveredAt" = NULL WHERE "id" = ?')
    const samples: number[] = []
    for (let i = 0; i < lookups + 200; i++) {
      const recipient = `r${(i * 7919) % recipients}`
      const t0 = nowMs()
      const m = store.leaseNext(recipient, Date.now())
      const dt = nowMs() - t0
      if (!m) throw new Error(`no unread message for ${recipient}`)
      unlease.run(m.id)
      if (i >= 200) samples.push(dt)
    }
    db.close()
    return summarize(samples)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Wake latency through the real daemon: a parked `recv` on agent b's socket, a `send` on agent
 * a's socket, measured from just before the send to the woken recv's answer.
 */
export async function benchWake(samples: number): Promise<Latency> {
  const daemon = new HiveDaemon(HiveDaemon.tempHome(), { LOG_LEVEL: 'warn' })
  await daemon.start()
  try {
    // No turns during the measurement: the manager would otherwise wake on the spawn events.
    await daemon.cli('kill', 'manager')
    for (const name of ['bench-a', 'bench-b']) {
      const spawned = await daemon.cli('spawn', name, '--description', 'bench')
      if (spawned.code !== 0) throw new Error(spawned.stderr)
      // Stopped: the bench plays both agents on their sockets, no turn loop competes.
      await daemon.cli('kill', name)
    }
    const a = await connectAgent(daemon.home, 'bench-a')
    const b = await connectAgent(daemon.home, 'bench-b')
    const latencies: number[] = []
    for (let i = 0; i < samples + 50; i++) {
      const woken = b.call('recv', { wait_seconds: 10 })
      // Give the recv time to park so we measure a wake, not an immediate lease.
      await new Promise((r) => setTimeout(r, 2))
      const t0 = nowMs()
      await a.call('send', { to: 'bench-b', body: `ping ${i}` })
      const got = await woken
      const dt = nowMs() - t0
      if (got.message?.body !== `ping ${i}`) throw new Error(`woke with ${JSON.stringify(got)}`)
      if (i >= 50) latencies.push(dt)
    }
    await b.call('ack')
    a.close()
    b.close()
    return summarize(latencies)
  } finally {
    await daemon.stop()
    daemon.removeHome()
  }
}
