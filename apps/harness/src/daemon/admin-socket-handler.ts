import { HiveError, HiveErrorCode, OPERATOR } from '@hive/mcp'
import { adminOps, type AdminOp } from '../core/admin-ops.ts'
import type { HivePaths } from '../node/hive-paths.ts'
import { parseArgs, type RequestHandler } from '../node/sockets/json-lines-server.ts'
import { toDelivered } from './agent-socket-handler.ts'
import type { Hive } from './hive.ts'

const DEFAULT_INBOX = 50
const DEFAULT_LOG_LINES = 200
/** `--all` listings: how many decided questions / approvals follow the pending ones. */
const DECIDED_LIMIT = 200

/** Pending items, then (with `all`) the most recently decided ones. */
async function pendingThenDecided<T>(desk: { pending(): Promise<T[]>; history(limit: number): Promise<T[]> }, all: boolean): Promise<T[]> {
  const pending = await desk.pending()
  return all ? [...pending, ...(await desk.history(DECIDED_LIMIT))] : pending
}

export interface AdminContext {
  hive: Hive
  paths: HivePaths
  loginUrl: () => string
  logTail: (name: string, lines: number) => Promise<string[]>
  startedAt: number
  version: string
}

const isAdminOp = (op: string): op is AdminOp => Object.hasOwn(adminOps, op)

/** The operator's socket (`run/host.sock`, 0600): whoever can open it is the operator. */
export function createAdminSocketHandler(ctx: AdminContext): RequestHandler {
  const { hive } = ctx
  return async (op, args) => {
    if (!isAdminOp(op)) throw new HiveError(HiveErrorCode.BadRequest, `unknown verb "${op}"`)
    switch (op) {
      case 'status': {
        parseArgs(adminOps.status, op, args)
        const agents = await hive.list()
        return {
          version: ctx.version,
          runtime: hive.runtimeKind,
          uptime_s: Math.round((Date.now() - ctx.startedAt) / 1000),
          agents: agents.length,
          running: agents.filter((a) => a.state === 'running').length,
          operator_unread: hive.broker.unread(OPERATOR),
          url: new URL(ctx.loginUrl()).origin,
        }
      }
      case 'list':
        return hive.list(parseArgs(adminOps.list, op, args).all ?? false)
      case 'spawn': {
        const { name, description } = parseArgs(adminOps.spawn, op, args)
        return hive.spawn(name, description, OPERATOR)
      }
      case 'kill':
        return hive.kill(parseArgs(adminOps.kill, op, args).name, OPERATOR)
      case 'start':
        return hive.start(parseArgs(adminOps.start, op, args).name, OPERATOR)
      case 'restart':
        return hive.restart(parseArgs(adminOps.restart, op, args).name, OPERATOR)
      case 'send': {
        const { to, body } = parseArgs(adminOps.send, op, args)
        if (to === OPERATOR) throw new HiveError(HiveErrorCode.BadRequest, 'args.to: the operator cannot message itself')
        const rows = await hive.send(OPERATOR, to, body)
        return { ids: rows.map((r) => r.id) }
      }
      case 'inbox': {
        const { limit = DEFAULT_INBOX, unread = false } = parseArgs(adminOps.inbox, op, args)
        const rows = unread ? hive.broker.unreadFor(OPERATOR, limit) : hive.broker.recentFor(OPERATOR, limit)
        return {
          unread: hive.broker.unread(OPERATOR),
          messages: rows.map((m) => ({ ...toDelivered(m), read: m.deliveredAt !== null })),
        }
      }
      case 'mark_read': {
        const { id } = parseArgs(adminOps.mark_read, op, args)
        return { marked: hive.broker.markRead(OPERATOR, id) }
      }
      case 'logs': {
        const { name, lines = DEFAULT_LOG_LINES } = parseArgs(adminOps.logs, op, args)
        await hive.view(name)
        return { name, lines: await ctx.logTail(name, lines) }
      }
      case 'login_url':
        parseArgs(adminOps.login_url, op, args)
        return { url: ctx.loginUrl() }
      case 'request_spawn': {
        const { name, description } = parseArgs(adminOps.request_spawn, op, args)
        return hive.approvals.requestSpawn(name, description, OPERATOR)
      }
      case 'pending':
        return pendingThenDecided(hive.approvals, parseArgs(adminOps.pending, op, args).all ?? false)
      case 'approve':
        return hive.approvals.approve(parseArgs(adminOps.approve, op, args).id, OPERATOR)
      case 'deny': {
        const { id, note } = parseArgs(adminOps.deny, op, args)
        return hive.approvals.deny(id, note, OPERATOR)
      }
      case 'questions':
        return pendingThenDecided(hive.questions, parseArgs(adminOps.questions, op, args).all ?? false)
      case 'answer': {
        const { id, text, options } = parseArgs(adminOps.answer, op, args)
        return hive.questions.answer(id, { ...(text === undefined ? {} : { text }), ...(options ? { options } : {}) })
      }
      case 'cancel_question':
        return hive.questions.cancel(parseArgs(adminOps.cancel_question, op, args).id)
      case 'destroy': {
        const { name, purge = false } = parseArgs(adminOps.destroy, op, args)
        await hive.destroy(name, purge, OPERATOR)
        return { name, purged: purge }
      }
      case 'rebuild':
        // The process runtime has nothing to build: the applied config is read every turn.
        return hive.restart(parseArgs(adminOps.rebuild, op, args).name, OPERATOR)
      case 'model': {
        const { name, model } = parseArgs(adminOps.model, op, args)
        await hive.setModel(name, model, OPERATOR)
        return { name, override: model, effective: (await hive.turnConfig(name)).model }
      }
    }
  }
}
