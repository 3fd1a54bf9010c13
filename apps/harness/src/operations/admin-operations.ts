import { adminOps, Limits, OPERATOR, type ControlCommand } from '@hive/mcp'
import { readCapped } from '../adapters/capped-file.ts'
import { pageBefore } from '../domain/page-within-bytes.ts'
import { toMessageView } from '../services/message-view.ts'
import type { HiveServices } from './hive-services.ts'
import { defineOperations } from './operation.ts'

const Listing = {
  INBOX: 50,
  DEAD_LETTERS: 50,
  LOG_LINES: 200,
  RECENT_MESSAGES: 200,
  /** An agent page's inbox. */
  AGENT_INBOX: 20,
  STREAM_EVENTS: 300,
  TURNS: 20,
  /** Dashboard history lists. */
  HISTORY: 30,
  /** `--all` listings: how many decided questions / approvals follow the pending ones. */
  DECIDED: 200,
} as const

/** Pending items, then (with `all`) the most recently decided ones. */
async function pendingThenDecided<T>(desk: { pending(): Promise<T[]>; history(limit: number): Promise<T[]> }, all: boolean): Promise<T[]> {
  const pending = await desk.pending()
  return all ? [...pending, ...(await desk.history(Listing.DECIDED))] : pending
}

/** Hands a running turn loop an out-of-band command (cancel turn, compact, new session). */
function controlCommand(command: ControlCommand) {
  return async (s: HiveServices, { name }: { name: string }) => {
    await s.lifecycle.sendControl(name, command)
    return { name, command }
  }
}

/** Everything the operator can do, from the CLI (admin socket) and the dashboard (tRPC) alike. */
export const adminOperations = defineOperations<typeof adminOps, HiveServices>(adminOps, {
  status: async (s) => {
    const agents = await s.directory.list()
    return {
      version: s.daemon.version,
      runtime: s.lifecycle.runtimeKind,
      uptime_s: Math.round((Date.now() - s.daemon.startedAt) / 1000),
      agents: agents.length,
      running: agents.filter((a) => a.state === 'running').length,
      operator_unread: s.broker.unread(OPERATOR),
      url: new URL(s.daemon.loginUrl()).origin,
    }
  },
  login_url: (s) => ({ url: s.daemon.loginUrl() }),
  logout_all: async (s) => ({ revoked: await s.auth.logoutAll() }),
  rotate_token: async (s) => {
    const revoked = await s.auth.rotateToken()
    return { url: s.daemon.loginUrl(), revoked }
  },

  list: (s, { all = false }) => s.directory.list(all),
  agent: async (s, { name }) => {
    const agent = await s.directory.view(name)
    const [lastTurn, override, config, notes] = await Promise.all([
      s.journal.last(name),
      s.configs.modelOverride(name),
      readCapped(s.paths.appliedConfig(name)),
      readCapped(s.paths.agentNotes(name)),
    ])
    return {
      agent,
      model: { override, effective: agent.state === 'destroyed' ? null : (await s.configs.turnConfig(name)).model },
      last_turn: lastTurn,
      inbox: s.broker.recentFor(name, Listing.AGENT_INBOX).map(toMessageView),
      config,
      notes,
      seq: s.live.current,
    }
  },
  stream: (s, { name, limit = Listing.STREAM_EVENTS }) => s.journal.stream(name, limit),
  turns: (s, { name, limit = Listing.TURNS }) => s.journal.recent(name, limit),
  logs: async (s, { name, lines = Listing.LOG_LINES }) => {
    await s.directory.view(name)
    return { name, lines: await s.daemon.logTail(name, lines) }
  },

  spawn: (s, { name, description }, caller) => s.lifecycle.spawn(name, description, caller.name),
  kill: (s, { name }, caller) => s.lifecycle.kill(name, caller.name),
  start: (s, { name }, caller) => s.lifecycle.start(name, caller.name),
  restart: (s, { name }, caller) => s.lifecycle.restart(name, caller.name),
  rebuild: (s, { name }, caller) => s.lifecycle.rebuild(name, caller.name),
  revive: (s, { name }, caller) => s.lifecycle.revive(name, caller.name),
  destroy: async (s, { name, purge = false }, caller) => {
    await s.lifecycle.destroy(name, purge, caller.name)
    return { name, purged: purge }
  },
  model_info: async (s, { name }) => ({ override: await s.configs.modelOverride(name), effective: (await s.configs.turnConfig(name)).model }),
  model: async (s, { name, model }, caller) => {
    await s.configs.setModel(name, model, caller.name)
    return { name, override: model, effective: (await s.configs.turnConfig(name)).model }
  },
  cancel_turn: controlCommand('cancel'),
  compact: controlCommand('compact'),
  new_session: controlCommand('new_session'),

  send: async (s, { to, body }, caller) => ({ ids: (await s.messaging.send(caller.name, to, body)).map((r) => r.id) }),
  recent_messages: (s, { limit = Listing.RECENT_MESSAGES }) => s.broker.recent(limit).map(toMessageView),
  inbox: (s, { limit = Listing.INBOX, unread = false, before }) => {
    // One row past the page tells whether an older page exists.
    const rows = unread ? s.broker.unreadFor(OPERATOR, limit + 1, before) : s.broker.recentFor(OPERATOR, limit + 1, before)
    const page = pageBefore(
      rows.map((m) => ({ ...toMessageView(m), read: m.deliveredAt !== null })),
      limit,
      Limits.MAX_PAGE_BYTES,
    )
    return { unread: s.broker.unread(OPERATOR), messages: page.items, next_before: page.nextBefore }
  },
  mark_read: async (s, { id }) => ({ marked: await s.broker.markRead(OPERATOR, id) }),
  dead_letters: (s, { limit = Listing.DEAD_LETTERS, before }) => {
    const page = s.deadLetters.list(limit, before)
    return { dead_letters: page.items, next_before: page.nextBefore }
  },
  retry_dead_letter: (s, { id }) => s.deadLetters.retry(id),
  discard_dead_letter: (s, { id }) => s.deadLetters.discard(id),

  request_spawn: (s, { name, description }, caller) => s.approvals.requestSpawn(name, description, caller.name),
  pending: (s, { all = false }) => pendingThenDecided(s.approvals, all),
  approval_history: (s, { limit = Listing.HISTORY }) => s.approvals.history(limit),
  approve: (s, { id }, caller) => s.approvals.approve(id, caller.name),
  deny: (s, { id, note }, caller) => s.approvals.deny(id, note, caller.name),

  questions: (s, { all = false }) => pendingThenDecided(s.questions, all),
  question_history: (s, { limit = Listing.HISTORY }) => s.questions.history(limit),
  answer: (s, { id, text, options }, caller) => s.questions.answer(id, { ...(text === undefined ? {} : { text }), ...(options ? { options } : {}) }, caller.name),
  cancel_question: (s, { id }, caller) => s.questions.cancel(id, caller.name),
})
