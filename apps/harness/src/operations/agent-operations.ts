import { agentOps, Limits, managerOps, MANAGER_NAME, type ApprovalView } from '@hive/mcp'
import { toDelivered } from '../services/message-view.ts'
import type { HiveServices } from './hive-services.ts'
import { defineOperations } from './operation.ts'

const DEFAULT_RECENT = 20

/**
 * What every agent may do on its own socket. The caller is the socket's identity, fixed when
 * the socket was opened, never read from the request.
 */
export const agentOperations = defineOperations<typeof agentOps, HiveServices>(agentOps, {
  whoami: (_s, _input, caller) => ({ name: caller.name, role: caller.role === 'manager' ? 'manager' : 'agent' }),
  send: async (s, { to, body }, caller) => ({ ids: (await s.messaging.send(caller.name, to, body)).map((r) => r.id) }),
  recv: async (s, { wait_seconds = 0 }, caller) => {
    const message = await s.broker.recv(caller.name, wait_seconds * 1000, caller.signal)
    return { message: message ? toDelivered(message) : null, unread: s.broker.unread(caller.name) }
  },
  status: (s, _input, caller) => ({ unread: s.broker.unread(caller.name) }),
  recent: (s, { limit = DEFAULT_RECENT }, caller) => ({ messages: s.broker.recentFor(caller.name, Math.min(limit, Limits.MAX_LIST_LIMIT)).map(toDelivered) }),
  ack: async (s, _input, caller) => ({ acked: await s.broker.ack(caller.name) }),
  requeue: async (s, _input, caller) => {
    const requeued = await s.broker.requeue(caller.name)
    s.journal.startedOver(caller.name)
    return { requeued }
  },
  turn_config: (s, _input, caller) => s.configs.turnConfig(caller.name),
  turn_start: (s, _input, caller) => {
    s.journal.started(caller.name)
    return {}
  },
  turn_events: async (s, { events }, caller) => {
    await s.journal.recordEvents(caller.name, events.map((e) => ({ kind: e.kind, payload: e.payload })))
    return {}
  },
  turn_end: async (s, t, caller) => {
    if (t.ok) s.failures.recovered(caller.name)
    await s.journal.ended({
      agent: caller.name,
      startedAt: new Date(t.started_at),
      endedAt: new Date(t.ended_at),
      durationMs: Math.max(0, t.ended_at - t.started_at),
      model: t.model,
      wakeFrom: t.wake_from,
      ok: t.ok,
      error: t.error ?? null,
      tokensIn: t.tokens_in,
      tokensOut: t.tokens_out,
      tokensCacheRead: t.tokens_cache_read,
      tokensCacheWrite: t.tokens_cache_write,
      costUsd: t.cost_usd,
    })
    return {}
  },
  turn_failed: async (s, { failure, error, api_status }, caller) => {
    const verdict = await s.failures.report(caller.name, { failure, error, ...(api_status === undefined ? {} : { apiStatus: api_status }) })
    // Also the loop's word after a failed iteration: a turn it had reported is over.
    s.journal.startedOver(caller.name)
    return { requeued: verdict.requeued, dead_lettered: verdict.deadLettered, retry_in_ms: verdict.retryInMs }
  },
  notes_compacted: (s, { bytes_before, bytes_after }, caller) => {
    s.journal.notesCompacted(caller.name, bytes_before, bytes_after)
    return {}
  },
  compacting: (s, { active }, caller) => {
    s.journal.compacting(caller.name, active)
    return {}
  },
  control_wait: async (s, { wait_seconds }, caller) => (await s.control.wait(caller.name, wait_seconds * 1000, caller.signal)) ?? { command: null },
})

/** What the manager gets back: the id to remember, and that the answer comes later. */
function pendingReceipt(a: ApprovalView) {
  return {
    approval_id: a.id,
    status: a.status,
    ...(a.sha ? { sha: a.sha } : {}),
    note: 'queued for the operator; the decision arrives as an approval_resolved event — end your turn',
  }
}

/** The manager's surface on top of the agent one: lifecycle and the policy gate. */
export const managerOperations = defineOperations<typeof managerOps, HiveServices>(managerOps, {
  kill: (s, { name }, caller) => s.lifecycle.kill(name, caller.name),
  start: (s, { name }, caller) => s.lifecycle.start(name, caller.name),
  restart: (s, { name }, caller) => s.lifecycle.restart(name, caller.name),
  update: (s, { name }, caller) => s.lifecycle.rebuild(name, caller.name),
  request_spawn: async (s, { name, description }) => pendingReceipt(await s.approvals.requestSpawn(name, description, MANAGER_NAME)),
  request_apply_commit: async (s, { agent, commit_ref, description }) =>
    pendingReceipt(await s.approvals.requestApplyCommit(agent, commit_ref, description, MANAGER_NAME)),
  ask_operator: (s, input) => s.questions.ask(MANAGER_NAME, input),
})
