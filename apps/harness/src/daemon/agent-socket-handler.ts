import type { StoredMessage } from '@hive/db'
import {
  HiveError,
  HiveErrorCode,
  Limits,
  MANAGER_NAME,
  agentOps,
  managerOps,
  type AgentOp,
  type DeliveredMessage,
  type ManagerOp,
} from '@hive/mcp'
import { parseArgs, type RequestHandler } from '../node/sockets/json-lines-server.ts'
import type { ApprovalView } from './approval-desk.ts'
import type { Hive } from './hive.ts'

const DEFAULT_RECENT = 20

export function toDelivered(m: StoredMessage): DeliveredMessage {
  return { id: m.id, from: m.sender, body: m.body, sent_at: m.sentAt, redelivered: m.redelivered, broadcast: m.broadcast }
}

const isAgentOp = (op: string): op is AgentOp => Object.hasOwn(agentOps, op)
const isManagerOp = (op: string): op is ManagerOp => Object.hasOwn(managerOps, op)

/**
 * Serves one agent's socket. The socket is the identity: `name` and `role` are fixed here, never
 * taken from the request, so a sub-agent cannot act as the manager or as another agent.
 */
export function createAgentSocketHandler(hive: Hive, name: string, role: 'agent' | 'manager'): RequestHandler {
  const broker = hive.broker
  return async (op, args, ctx) => {
    if (isManagerOp(op)) {
      if (role !== 'manager') {
        throw new HiveError(HiveErrorCode.Forbidden, `${op} is a manager tool; agent "${name}" may not call it`)
      }
      return handleManagerOp(hive, op, args)
    }
    if (!isAgentOp(op)) throw new HiveError(HiveErrorCode.BadRequest, `unknown op "${op}"`)
    switch (op) {
      case 'whoami':
        parseArgs(agentOps.whoami, op, args)
        return { name, role }
      case 'send': {
        const { to, body } = parseArgs(agentOps.send, op, args)
        const rows = await hive.send(name, to, body)
        return { ids: rows.map((r) => r.id) }
      }
      case 'recv': {
        const { wait_seconds = 0 } = parseArgs(agentOps.recv, op, args)
        const message = await broker.recv(name, wait_seconds * 1000, ctx.signal)
        return { message: message ? toDelivered(message) : null, unread: broker.unread(name) }
      }
      case 'status':
        parseArgs(agentOps.status, op, args)
        return { unread: broker.unread(name) }
      case 'recent': {
        const { limit = DEFAULT_RECENT } = parseArgs(agentOps.recent, op, args)
        return { messages: broker.recentFor(name, Math.min(limit, Limits.MAX_LIST_LIMIT)).map(toDelivered) }
      }
      case 'ack':
        parseArgs(agentOps.ack, op, args)
        return { acked: broker.ack(name) }
      case 'requeue':
        parseArgs(agentOps.requeue, op, args)
        return { requeued: broker.requeue(name) }
      case 'turn_config':
        parseArgs(agentOps.turn_config, op, args)
        return hive.turnConfig(name)
      case 'turn_start':
        parseArgs(agentOps.turn_start, op, args)
        hive.setActivity(name, 'thinking')
        return {}
      case 'turn_events': {
        const { events } = parseArgs(agentOps.turn_events, op, args)
        await hive.recordTurnEvents(name, events.map((e) => ({ kind: e.kind, payload: e.payload })))
        return {}
      }
      case 'turn_end': {
        const t = parseArgs(agentOps.turn_end, op, args)
        await hive.recordTurn({
          agent: name,
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
      }
      case 'notes_compacted': {
        const { bytes_before, bytes_after } = parseArgs(agentOps.notes_compacted, op, args)
        hive.notesCompacted(name, bytes_before, bytes_after)
        return {}
      }
      case 'compacting': {
        const { active } = parseArgs(agentOps.compacting, op, args)
        hive.setCompacting(name, active)
        return {}
      }
      case 'control_wait': {
        const { wait_seconds } = parseArgs(agentOps.control_wait, op, args)
        return { command: await hive.control.wait(name, wait_seconds * 1000, ctx.signal) }
      }
    }
  }
}

async function handleManagerOp(hive: Hive, op: ManagerOp, args: Record<string, unknown>): Promise<unknown> {
  switch (op) {
    case 'kill':
      return hive.kill(parseArgs(managerOps.kill, op, args).name, 'manager')
    case 'start':
      return hive.start(parseArgs(managerOps.start, op, args).name, 'manager')
    case 'restart':
      return hive.restart(parseArgs(managerOps.restart, op, args).name, 'manager')
    case 'update':
      // The process runtime has nothing to rebuild: the applied config is read every turn.
      return hive.restart(parseArgs(managerOps.update, op, args).name, 'manager')
    case 'request_spawn': {
      const { name, description } = parseArgs(managerOps.request_spawn, op, args)
      return pendingReceipt(await hive.approvals.requestSpawn(name, description, MANAGER_NAME))
    }
    case 'request_apply_commit': {
      const { agent, commit_ref, description } = parseArgs(managerOps.request_apply_commit, op, args)
      return pendingReceipt(await hive.approvals.requestApplyCommit(agent, commit_ref, description, MANAGER_NAME))
    }
    case 'ask_operator':
      return hive.questions.ask(MANAGER_NAME, parseArgs(managerOps.ask_operator, op, args))
  }
}

/** What the manager gets back: the id to remember, and that the answer comes later. */
function pendingReceipt(a: ApprovalView): { approval_id: number; status: string; sha?: string; note: string } {
  return {
    approval_id: a.id,
    status: a.status,
    ...(a.sha ? { sha: a.sha } : {}),
    note: 'queued for the operator; the decision arrives as an approval_resolved event — end your turn',
  }
}
