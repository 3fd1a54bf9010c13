import { readHiveDb } from './hive-db.ts'

/** A helper event as the manager receives it: `{ event, ... }` in a message from `system`. */
export type ManagerEvent = Record<string, unknown> & { event: string }

/**
 * The helper events in the manager's inbox so far, oldest first (`kind` keeps only those). They are
 * written beside the answer to whatever caused them, not before it: poll, do not read once.
 */
export function managerEvents(home: string, kind?: string): ManagerEvent[] {
  const rows = readHiveDb(home, (db) => db.prepare(`SELECT body FROM "Message" WHERE recipient = 'manager' AND sender = 'system' ORDER BY id`).all() as { body: string }[])
  const events = rows.map((r) => JSON.parse(r.body) as ManagerEvent)
  return kind === undefined ? events : events.filter((e) => e.event === kind)
}
