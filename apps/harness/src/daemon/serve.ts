import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  AgentsRepository,
  ApprovalsRepository,
  EventsRepository,
  MessageStore,
  QuestionsRepository,
  SettingsRepository,
  TurnsRepository,
  applyMigrations,
  openDatabase,
} from '@hive/db'
import { OPERATOR } from '@hive/mcp'
import { env, modelEnvPassthrough } from '../env.ts'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import type { ApiContext } from '../api/context.ts'
import { appRouter } from '../api/root.ts'
import { HttpServer } from '../http/http-server.ts'
import { staticFiles } from '../http/static-files.ts'
import { tailLines } from '../node/tail-lines.ts'
import { PtyRegistry } from '../node/pty/pty-registry.ts'
import { createTerminalUpgrade } from '../http/terminal-socket.ts'
import { defaultClaudeBin } from '../agent/claude-command.ts'
import { createLogger } from '../logger.ts'
import { HivePaths } from '../node/hive-paths.ts'
import type { ContainerRuntime } from '../node/runtime/container-runtime.ts'
import { NspawnRuntime } from '../node/runtime/nspawn-runtime.ts'
import { ProcessRuntime } from '../node/runtime/process-runtime.ts'
import { JsonLinesServer } from '../node/sockets/json-lines-server.ts'
import { HARNESS_VERSION } from '../version.ts'
import { createAdminSocketHandler } from './admin-socket-handler.ts'
import { ApprovalDesk } from './approval-desk.ts'
import { Broker } from './broker.ts'
import { BrokerJanitor, DEFAULT_RETENTION } from './broker-janitor.ts'
import { Hive } from './hive.ts'
import { LiveBus } from './live-bus.ts'
import { forwardBrokerEvents } from './message-view.ts'
import { loadOrCreateOperatorToken } from './operator-token.ts'
import { QuestionDesk } from './question-desk.ts'
import type { Logger } from 'pino'

const HIVE_AGENT_BIN = fileURLToPath(new URL('../../bin/hive-agent.mjs', import.meta.url))
/** The dashboard's static export (`npm run build -w @hive/web`). */
const WEB_OUT = fileURLToPath(new URL('../../../web/out', import.meta.url))
/** The install (the repo): containers see it read-only at /project. */
const PROJECT_ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

/** Status lines for the operator on stdout; structured logs go to stderr. */
const say = (line: string) => process.stdout.write(line + '\n')

/** `hive serve`: the host daemon. Resolves when it has shut down after SIGTERM/SIGINT. */
export async function serve(): Promise<void> {
  const log = createLogger('hive')
  const paths = new HivePaths(env.HIVE_HOME)
  mkdirSync(paths.home, { recursive: true, mode: 0o700 })
  // Sockets live here: 0700 so nobody else can even reach them before their chmod.
  mkdirSync(paths.runDir, { recursive: true, mode: 0o700 })
  const token = loadOrCreateOperatorToken(paths.operatorToken)

  const fresh = !existsSync(paths.db)
  const applied = await applyMigrations(paths.db)
  say(`◆ database ${paths.db}${fresh ? ' (new)' : ''}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`)
  const db = await openDatabase(paths.db)
  const messages = new MessageStore(db.sqlite)
  const broker = new Broker(messages)
  const janitor = new BrokerJanitor(
    messages,
    { ...DEFAULT_RETENTION, retentionMs: env.HIVE_MESSAGE_RETENTION_DAYS * 24 * 60 * 60 * 1000 },
    log.child({ task: 'vacuum' }),
  )
  const live = new LiveBus()
  forwardBrokerEvents(broker, live)
  const runtime = pickRuntime(paths, log)
  const questions = new QuestionDesk({
    questions: new QuestionsRepository(db.prisma),
    broker,
    live,
    log,
    clockScale: env.HIVE_TEST_MODE ? env.HIVE_TEST_CLOCK_SCALE : 1,
  })
  const approvals: ApprovalDesk = new ApprovalDesk({
    approvals: new ApprovalsRepository(db.prisma),
    paths,
    broker,
    live,
    log,
    agentState: (name) => hive.nameState(name),
    spawn: (name, description) => hive.spawn(name, description, OPERATOR, false),
  })
  const hive: Hive = new Hive({
    paths,
    broker,
    runtime,
    agents: new AgentsRepository(db.prisma),
    settings: new SettingsRepository(db.prisma),
    turns: new TurnsRepository(db.prisma),
    events: new EventsRepository(db.prisma),
    live,
    questions,
    approvals,
    log,
  })

  const logTail = (name: string, lines: number) => tailLines(paths.agentLog(name), lines)
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/api/trpc/',
    createContext: (): ApiContext => ({ hive, broker, live, logTail, operator: true }),
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') log.error({ err: error, path }, 'api error')
    },
  })
  const dashboard = staticFiles(WEB_OUT)
  const terminals = new PtyRegistry()
  const terminalUpgrade = createTerminalUpgrade({
    registry: terminals,
    spec: (agent, kind) => hive.terminalSpec(agent, kind),
    log: log.child({ route: 'pty' }),
  })
  const http = await HttpServer.listen({
    host: env.HIVE_HOST,
    port: env.HIVE_PORT,
    operatorToken: token,
    log,
    routes: async (req, res) => {
      if (req.url?.startsWith('/api/trpc/')) {
        trpc(req, res)
        return true
      }
      return dashboard(req, res)
    },
    upgrade: terminalUpgrade,
  })
  const loginUrl = () => `${http.origin}/login?token=${encodeURIComponent(token)}`
  const admin = await JsonLinesServer.listen(
    paths.adminSocket,
    0o600,
    createAdminSocketHandler({ hive, paths, loginUrl, logTail, startedAt: Date.now(), version: HARNESS_VERSION }),
    log.child({ socket: 'admin' }),
  )
  await hive.boot()
  await questions.boot()
  janitor.start()

  say(
    runtime.isolated
      ? `◆ runtime: ${runtime.kind} — one user-namespaced container per agent (root inside is an unprivileged uid here)`
      : '◆ runtime: process — agents run UNISOLATED on this host (development only)',
  )
  if (!['127.0.0.1', 'localhost', '::1'].includes(env.HIVE_HOST)) {
    say(`◆ WARNING: listening on ${env.HIVE_HOST} without TLS; put a TLS proxy in front of it`)
  }
  if (!existsSync(join(WEB_OUT, 'index.html'))) say('◆ dashboard not built: run `npm run build -w @hive/web` (npm start does it)')
  say(`◆ hive serve ${HARNESS_VERSION} on ${http.origin} (home ${paths.home})`)
  say(`◆ login: ${loginUrl()}`)

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down')
      resolve()
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  })
  terminals.dispose()
  await http.close()
  await admin.close()
  questions.dispose()
  janitor.stop()
  await hive.shutdown()
  await db.close()
  say('◆ hive serve stopped')
}

function pickRuntime(paths: HivePaths, log: Logger): ContainerRuntime {
  const wanted = env.HIVE_RUNTIME
  const baseEnv = {
    // eslint-disable-next-line no-restricted-properties -- agents need the host's PATH to find git, node
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LOG_LEVEL: env.LOG_LEVEL,
    ...modelEnvPassthrough(),
  }
  const claudeBin = env.HIVE_CLAUDE_BIN ?? defaultClaudeBin()
  if (wanted === 'nixos-container') throw new Error('HIVE_RUNTIME=nixos-container is not available yet; use nspawn or process')
  if (wanted === 'nspawn' || (wanted === 'auto' && NspawnRuntime.available())) {
    if (!NspawnRuntime.available()) throw new Error('HIVE_RUNTIME=nspawn needs root and systemd-nspawn (apt-get install systemd-container)')
    return new NspawnRuntime({ paths, log, projectRoot: PROJECT_ROOT, agentBin: HIVE_AGENT_BIN, claudeBin, baseEnv })
  }
  if (wanted === 'auto') log.warn('no isolating runtime here (needs root and systemd-nspawn): using the UNISOLATED process runtime')
  return new ProcessRuntime({ paths, log, agentCommand: [process.execPath, HIVE_AGENT_BIN], claudeBin, baseEnv })
}
