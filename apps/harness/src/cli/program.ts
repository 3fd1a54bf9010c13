import { readFileSync } from 'node:fs'
import { Command, InvalidArgumentError } from 'commander'
import { isHiveError, type AgentView } from '@hive/mcp'
import { HARNESS_VERSION } from '../adapters/version.ts'
import { terminalSafe, terminalSafeJson } from '../domain/terminal-safe.ts'
import { adminCall } from './admin-call.ts'
import { DEFAULT_LIMIT, followPages, readInbox } from './paged-listings.ts'
import { formatAge, renderTable } from './table.ts'

interface JsonFlag {
  json?: boolean
}

/**
 * Everything the CLI prints goes through here: diffs, message bodies, questions, notes and logs
 * come from agents, and a raw ESC or C1 in them would drive the operator's terminal.
 */
function out(text: string): void {
  const safe = terminalSafe(text)
  process.stdout.write(safe.endsWith('\n') ? safe : safe + '\n')
}
function printJson(value: unknown): void {
  out(terminalSafeJson(value))
}

function positiveId(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer id')
  return n
}

/** `-` reads the body from stdin, so long or multi-line messages need no quoting. */
function readBody(body: string): string {
  return body === '-' ? readFileSync(0, 'utf8') : body
}

function renderAgents(agents: AgentView[]): string {
  if (agents.length === 0) return '(no agents)'
  return renderTable(
    ['NAME', 'ROLE', 'STATE', 'ACTIVITY', 'UNREAD', 'RUNTIME'],
    agents.map((a) => [
      a.name,
      a.role,
      a.state,
      describeActivity(a),
      String(a.unread),
      a.isolated ? a.runtime : `${a.runtime} UNISOLATED`,
    ]),
  )
}

/** `model down (retry in 12s)`: an outage says when the agent tries again. */
function describeActivity(a: AgentView): string {
  const label = a.activity.replace(/^(model|needs)-/, '$1 ')
  const now = Date.now()
  const retry = a.retry_at === null ? '' : a.retry_at > now ? ` (retry in ${formatAge(now, a.retry_at)})` : ' (retrying)'
  return `${label} ${formatAge(a.activity_since)}${retry}`
}

/** Runs a verb; errors go to stderr with a non-zero exit code, never a stack trace. */
function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args)
    } catch (e) {
      if (isHiveError(e) || e instanceof InvalidArgumentError) {
        process.stderr.write(`hive: ${terminalSafe(e.message)}\n`)
        process.exitCode = 1
        return
      }
      throw e
    }
  }
}

/**
 * The operator CLI's commands, built without side effects: the ESM bin (main.ts) parses argv with
 * it, and the CLI's startup snapshot (snapshot-entry.ts) holds it ready-built. `hive serve` is
 * handed in: the daemon is loaded only by the bin that runs it.
 */
export function buildProgram(runServe: () => Promise<void>): Command {
  const program = new Command('hive')
    .description('operate a hyperhive: a hive of Claude Code agents on this host')
    .version(HARNESS_VERSION)
    .showHelpAfterError()

  program
    .command('serve')
    .description('run the host daemon (database, broker, agents, dashboard)')
    .action(runServe)

  program
    .command('status')
    .description('daemon status')
    .option('--json', 'machine-readable output')
    .action(
      action(async (opts: JsonFlag) => {
        const s = await adminCall('status')
        if (opts.json) printJson(s)
        else out(Object.entries(s).map(([k, v]) => `${k}: ${String(v)}`).join('\n'))
      }),
    )

  program
    .command('list')
    .description('list agents (containers)')
    .option('--all', 'include destroyed agents (tombstones)')
    .option('--json', 'machine-readable output')
    .action(
      action(async (opts: JsonFlag & { all?: boolean }) => {
        const agents = await adminCall('list', { all: opts.all ?? false })
        if (opts.json) printJson(agents)
        else out(renderAgents(agents))
      }),
    )

  program
    .command('spawn <name>')
    .description('create and start an agent directly (operator privilege, no approval)')
    .option('--description <text>', 'what the agent is for')
    .action(
      action(async (name: string, opts: { description?: string }) => {
        const agent = await adminCall('spawn', { name, ...opts })
        out(`spawned ${agent.name} (${agent.state}${agent.isolated ? '' : ', UNISOLATED'})`)
      }),
    )

  for (const verb of ['kill', 'start', 'restart'] as const) {
    program
      .command(`${verb} <name>`)
      .description(`${verb === 'kill' ? 'stop' : verb} an agent`)
      .action(
        action(async (name: string) => {
          const agent = await adminCall(verb, { name })
          out(`${agent.name}: ${agent.state}`)
        }),
      )
  }

  program
    .command('rebuild <name>')
    .description("apply an agent's applied config and restart its container")
    .action(
      action(async (name: string) => {
        const agent = await adminCall('rebuild', { name })
        out(`${agent.name}: rebuilt, ${agent.state}`)
      }),
    )

  program
    .command('destroy <name>')
    .description('stop and remove an agent, keeping its state (tombstone)')
    .option('--purge', 'also wipe its state, config repos and rows (inbox, turns, events): the name starts clean')
    .action(
      action(async (name: string, opts: { purge?: boolean }) => {
        await adminCall('destroy', { name, purge: opts.purge ?? false })
        out(opts.purge ? `${name}: purged` : `${name}: destroyed (state kept; revive it from the dashboard)`)
      }),
    )

  program
    .command('request-spawn <name>')
    .description('queue a spawn request for approval')
    .option('--description <text>', 'what the agent is for')
    .action(
      action(async (name: string, opts: { description?: string }) => {
        const a = await adminCall('request_spawn', { name, ...opts })
        out(`approval #${a.id}: spawn ${a.agent} — pending (hive approve ${a.id} | hive deny ${a.id})`)
      }),
    )

  program
    .command('pending')
    .description('pending approvals (spawns and config commits)')
    .option('--all', 'include approved, denied and failed ones')
    .option('--json', 'machine-readable output')
    .action(
      action(async (opts: JsonFlag & { all?: boolean }) => {
        const rows = await adminCall('pending', { all: opts.all ?? false })
        if (opts.json) return printJson(rows)
        if (rows.length === 0) return out('(no pending approvals)')
        for (const a of rows) {
          const what = a.kind === 'spawn' ? `spawn ${a.agent}` : `apply ${a.sha?.slice(0, 12) ?? '?'} to ${a.agent}`
          out(`#${a.id} [${a.status}] ${what} (${formatAge(a.requested_at)} ago)${a.description ? `: ${a.description}` : ''}`)
          if (a.note) out(`    note: ${a.note}`)
          if (a.diff) out(a.diff.replace(/^/gm, '    ').trimEnd())
        }
      }),
    )

  program
    .command('approve <id>')
    .description('approve a pending request (the action runs now)')
    .action(
      action(async (id: string) => {
        const a = await adminCall('approve', { id: positiveId(id) })
        out(`approval #${a.id}: ${a.status}${a.note ? ` — ${a.note}` : ''}`)
        if (a.status === 'failed') process.exitCode = 1
      }),
    )

  program
    .command('deny <id>')
    .description('deny a pending request')
    .option('--note <text>', 'reason, sent to the manager')
    .action(
      action(async (id: string, opts: { note?: string }) => {
        const a = await adminCall('deny', { id: positiveId(id), ...opts })
        out(`approval #${a.id}: denied; the manager is told${a.note ? ` (note: ${a.note})` : ''}`)
      }),
    )

  program
    .command('send <to> <body>')
    .description('send a message as the operator (body "-" reads stdin)')
    .action(
      action(async (to: string, body: string) => {
        const { ids } = await adminCall('send', { to, body: readBody(body) })
        out(`sent to ${to} (${ids.length === 1 ? `message ${ids[0]}` : `${ids.length} messages`})`)
      }),
    )

  program
    .command('inbox')
    .description("the operator's inbox (messages agents sent to `operator`)")
    .option('--unread', 'only unread messages')
    .option('--limit <n>', 'how many (default 50)', positiveId)
    .option('--json', 'machine-readable output')
    .action(
      action(async (opts: JsonFlag & { unread?: boolean; limit?: number }) => {
        const inbox = await readInbox(opts)
        if (opts.json) {
          printJson(inbox)
          return
        }
        out(`${inbox.unread} unread`)
        for (const m of inbox.messages) {
          out(`${m.read ? ' ' : '●'} #${m.id} ${new Date(m.sent_at).toISOString()} from ${m.from}:\n    ${m.body.replaceAll('\n', '\n    ')}`)
        }
      }),
    )

  program
    .command('read [id]')
    .description("mark the operator's mail read: one message by id, or --all")
    .option('--all', 'every unread message')
    .action(
      action(async (id: string | undefined, opts: { all?: boolean }) => {
        if ((id === undefined) === !opts.all) throw new InvalidArgumentError('give a message id or --all (not both)')
        const { marked } = await adminCall('mark_read', id === undefined ? {} : { id: positiveId(id) })
        out(`${marked} message${marked === 1 ? '' : 's'} marked read`)
      }),
    )

  program
    .command('dead-letters')
    .description('messages that failed too often (out of their queue until retried or discarded), newest first')
    .option('--limit <n>', `how many (default ${DEFAULT_LIMIT})`, positiveId)
    .option('--json', 'machine-readable output')
    .action(
      action(async (opts: JsonFlag & { limit?: number }) => {
        const limit = opts.limit ?? DEFAULT_LIMIT
        const { items: rows, more } = await followPages(limit, async (pageLimit, before) => {
          const page = await adminCall('dead_letters', { limit: pageLimit, ...(before === undefined ? {} : { before }) })
          return { items: page.dead_letters, next_before: page.next_before }
        })
        if (opts.json) return printJson(rows)
        if (rows.length === 0) return out('(no dead letters)')
        for (const m of rows) {
          out(`#${m.id} ${m.from} → ${m.to}, ${m.attempts} attempts, dead ${formatAge(m.dead_lettered_at ?? m.sent_at)} ago (hive retry ${m.id} | hive discard ${m.id})`)
          if (m.last_error) out(`    error: ${m.last_error.replaceAll('\n', '\n    ')}`)
          out(`    ${m.body.replaceAll('\n', '\n    ')}`)
        }
        if (more) out(`(older dead letters not shown: hive dead-letters --limit ${limit * 2})`)
      }),
    )

  program
    .command('retry <id>')
    .description("put a dead letter back in its recipient's queue")
    .action(
      action(async (id: string) => {
        const m = await adminCall('retry_dead_letter', { id: positiveId(id) })
        out(`message ${m.id} requeued for ${m.to}`)
      }),
    )

  program
    .command('discard <id>')
    .description('delete a dead letter for good')
    .action(
      action(async (id: string) => {
        const m = await adminCall('discard_dead_letter', { id: positiveId(id) })
        out(`message ${m.id} (${m.from} → ${m.to}) discarded`)
      }),
    )

  program
    .command('questions')
    .description("the manager's questions to the operator")
    .option('--all', 'include answered, cancelled and expired')
    .option('--json', 'machine-readable output')
    .action(
      action(async (opts: JsonFlag & { all?: boolean }) => {
        const rows = await adminCall('questions', { all: opts.all ?? false })
        if (opts.json) return printJson(rows)
        if (rows.length === 0) return out('(no pending questions)')
        for (const q of rows) {
          const ttl = q.deadline_at ? ` ⏳ ${formatAge(Date.now(), q.deadline_at)} left` : ''
          out(`#${q.id} [${q.status}] from ${q.asker}${ttl}: ${q.question}`)
          if (q.options.length) out(`    options${q.multi ? ' (several)' : ''}: ${q.options.join(' | ')}`)
          if (q.answer !== null) out(`    answer: ${q.answer.replaceAll('\n', ' | ')}`)
        }
      }),
    )

  program
    .command('answer <id> [text]')
    .description('answer a pending question (free text and/or --option, repeatable)')
    .option('-o, --option <option>', 'a chosen option (repeat for several)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action(
      action(async (id: string, text: string | undefined, opts: { option: string[] }) => {
        const q = await adminCall('answer', {
          id: positiveId(id),
          ...(text === undefined ? {} : { text }),
          ...(opts.option.length ? { options: opts.option } : {}),
        })
        out(`answered #${q.id}; ${q.asker} is woken with it`)
      }),
    )

  program
    .command('cancel-question <id>')
    .description('cancel a pending question (the manager receives "[cancelled]")')
    .action(
      action(async (id: string) => {
        const q = await adminCall('cancel_question', { id: positiveId(id) })
        out(`cancelled #${q.id}`)
      }),
    )

  program
    .command('model <name> [model]')
    .description("override an agent's model (or --clear to use its agent.json / haiku)")
    .option('--clear', 'remove the override')
    .action(
      action(async (name: string, model: string | undefined, opts: { clear?: boolean }) => {
        if (!model && !opts.clear) throw new InvalidArgumentError('give a model or --clear')
        const r = await adminCall('model', { name, model: opts.clear ? null : (model ?? null) })
        out(`${name}: model ${r.effective}${opts.clear ? ' (override cleared)' : ' (override)'}`)
      }),
    )

  program
    .command('logs <name>')
    .description("tail of an agent's harness log")
    .option('-n, --lines <n>', 'how many lines (default 200)', positiveId)
    .option('--json', 'machine-readable output')
    .action(
      action(async (name: string, opts: JsonFlag & { lines?: number }) => {
        const logs = await adminCall('logs', { name, ...(opts.lines ? { lines: opts.lines } : {}) })
        if (opts.json) printJson(logs)
        else out(logs.lines.join('\n') || '(no log yet)')
      }),
    )

  program
    .command('login-url')
    .description('print the dashboard login URL again')
    .action(
      action(async () => {
        out((await adminCall('login_url')).url)
      }),
    )

  program
    .command('logout')
    .description('end dashboard sessions: --all ends every one (the operator token stays)')
    .option('--all', 'every session, in every browser')
    .action(
      action(async (opts: { all?: boolean }) => {
        if (!opts.all) throw new InvalidArgumentError('give --all: the CLI cannot tell one browser from another')
        const { revoked } = await adminCall('logout_all')
        out(`${revoked} session${revoked === 1 ? '' : 's'} ended; log in again with the URL \`hive login-url\` prints`)
      }),
    )

  program
    .command('token')
    .description('the operator token')
    .command('rotate')
    .description('replace the operator token: the old one and every dashboard session stop working')
    .action(
      action(async () => {
        const { url, revoked } = await adminCall('rotate_token')
        out(`operator token rotated; ${revoked} session${revoked === 1 ? '' : 's'} ended`)
        out(`login: ${url}`)
      }),
    )

  return program
}
