import { existsSync, mkdirSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import type { Logger } from 'pino'
import {
  AgentsRepository,
  ApprovalsRepository,
  EventsRepository,
  MessageStore,
  ModelRequestsRepository,
  OperatorSessionsRepository,
  QuestionsRepository,
  SettingsRepository,
  TurnsRepository,
  applyMigrations,
  openDatabase,
} from '@hive/db'
import { JsonLinesServer } from '@hive/mcp/node'
import { defaultClaudeBin } from '../adapters/claude-command.ts'
import { readAppliedConfig } from '../adapters/agent-dirs.ts'
import { env, isolatedModelEnv, modelEnvPassthrough, operatorCredentials } from '../adapters/env.ts'
import { HivePaths } from '../adapters/hive-paths.ts'
import { InstallPaths } from '../adapters/install-paths.ts'
import { createLogger } from '../adapters/logger.ts'
import { loadOrCreateOperatorToken } from '../adapters/operator-token.ts'
import { PtyRegistry } from '../adapters/pty/pty-registry.ts'
import { PtyRelay } from '../adapters/pty/pty-relay.ts'
import type { ContainerRuntime } from '../adapters/runtime/container-runtime.ts'
import { NixosContainerRuntime } from '../adapters/runtime/nixos-container-runtime.ts'
import { NspawnRuntime } from '../adapters/runtime/nspawn-runtime.ts'
import { ProcessRuntime } from '../adapters/runtime/process-runtime.ts'
import { SystemdBus } from '../adapters/runtime/systemd-bus.ts'
import { tailLines } from '../adapters/tail-lines.ts'
import { HARNESS_VERSION } from '../adapters/version.ts'
import type { HiveServices } from '../operations/hive-services.ts'
import { AgentActivity } from '../services/agent-activity.ts'
import { AgentConfigs } from '../services/agent-configs.ts'
import { AgentDirectory } from '../services/agent-directory.ts'
import { AgentLifecycle } from '../services/agent-lifecycle.ts'
import { ApprovalDesk } from '../services/approval-desk.ts'
import { Broker } from '../services/broker.ts'
import { BrokerJanitor, DEFAULT_RETENTION } from '../services/broker-janitor.ts'
import { ControlChannel } from '../services/control-channel.ts'
import { DeadLetters } from '../services/dead-letters.ts'
import { LiveBus } from '../services/live-bus.ts'
import { forwardBrokerEvents } from '../services/message-view.ts'
import { Messaging } from '../services/messaging.ts'
import { OperatorAuth } from '../services/operator-auth.ts'
import { OperatorSessions } from '../services/operator-sessions.ts'
import { QuestionDesk } from '../services/question-desk.ts'
import { TurnFailures } from '../services/turn-failures.ts'
import { TurnJournal } from '../services/turn-journal.ts'
import { createAdminSocketHandler } from '../transports/admin-socket.ts'
import { AgentSockets } from '../transports/agent-sockets.ts'
import { ModelGateway } from '../transports/gateway/model-gateway.ts'
import { CLAUDE_CLI_HOSTS } from '../domain/claude-cli-hosts.ts'
import type { ApiContext } from '../transports/api/context.ts'
import { appRouter } from '../transports/api/root.ts'
import { allowedHostnames } from '../transports/http/host-check.ts'
import { HttpServer } from '../transports/http/http-server.ts'
import { staticFiles } from '../transports/http/static-files.ts'
import { createTerminalUpgrade } from '../transports/http/terminal-socket.ts'
import { installProcessGuards } from './process-guards.ts'
import { Shutdown, StopSignals, shutdownStep } from './shutdown.ts'

/** Status lines for the operator on stdout; structured logs go to stderr. */
const say = (line: string) => process.stdout.write(line + '\n')

/** `hive serve`: the host daemon. Resolves when it has shut down after SIGTERM, SIGINT or SIGHUP. */
export async function serve(): Promise<void> {
  const log = createLogger('hive')
  installProcessGuards(log)
  // Before anything starts: a signal during boot must not kill the daemon with agents started.
  const stop = new StopSignals(log)
  const paths = new HivePaths(env.HIVE_HOME)
  paths.checkDaemonSockets()
  mkdirSync(paths.home, { recursive: true, mode: 0o700 })
  // Sockets live here: 0700 so nobody else can even reach them before their chmod.
  mkdirSync(paths.runDir, { recursive: true, mode: 0o700 })
  const token = loadOrCreateOperatorToken(paths.operatorToken)

  const fresh = !existsSync(paths.db)
  const applied = await applyMigrations(paths.db)
  say(`◆ database ${paths.db}${fresh ? ' (new)' : ''}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`)
  const db = await openDatabase(paths.db)
  const auth = new OperatorAuth({
    tokenFile: paths.operatorToken,
    token,
    sessions: new OperatorSessions({ rows: new OperatorSessionsRepository(db.prisma), idleMs: env.HIVE_SESSION_IDLE_HOURS * 60 * 60 * 1000 }),
  })
  const messages = new MessageStore(db.sqlite)
  const broker = new Broker(messages)
  const janitor = new BrokerJanitor(
    messages,
    { ...DEFAULT_RETENTION, retentionMs: env.HIVE_MESSAGE_RETENTION_DAYS * 24 * 60 * 60 * 1000 },
    log.child({ task: 'vacuum' }),
  )
  const live = new LiveBus()
  forwardBrokerEvents(broker, live)
  const control = new ControlChannel()
  // nspawn terminals: the payload spawns them and connects back to its pty.sock.
  const ptyRelay = new PtyRelay({
    paths,
    log: log.child({ socket: 'pty' }),
    request: (agent, terminal) => control.push(agent, { command: 'open_terminal', terminal }),
  })
  const runtime = await pickRuntime(paths, log, ptyRelay)
  const terminals = new PtyRegistry()
  const agents = new AgentsRepository(db.prisma)
  const activity = new AgentActivity(live)
  const directory = new AgentDirectory({ agents, runtime, broker, activity })
  const modelRequests = new ModelRequestsRepository(db.prisma)
  const journal = new TurnJournal({ turns: new TurnsRepository(db.prisma), events: new EventsRepository(db.prisma), activity, broker, live, log })
  const failures = new TurnFailures({ broker, activity, live, log })
  const credentials = operatorCredentials()
  // An agent's own login needs the CLI's hosts; with the operator's key they would only be a way out.
  const loginHosts = Object.keys(credentials).length === 0 ? CLAUDE_CLI_HOSTS : []
  const gateway = new ModelGateway({
    upstream: new URL(env.ANTHROPIC_BASE_URL),
    credentials,
    egress: {
      allowed: (agent) => [...appliedEgress(paths, agent, log), ...loginHosts],
      host: { addresses: () => [env.HIVE_HOST, ...localAddresses()] },
    },
    record: (request) => void modelRequests.record(request).catch((err: unknown) => log.error({ err, agent: request.agent }, 'could not record a model request')),
    refused: (agent, target, reason) => {
      log.warn({ agent, target, reason }, 'egress refused')
      journal.recordEvents(agent, [{ kind: 'egress:refused', payload: { target, reason } }]).catch((err: unknown) => log.error({ err, agent }, 'could not record an egress refusal'))
    },
    retryAfter: (agent, ms) => failures.upstreamRetryAfter(agent, ms),
    log: log.child({ gateway: true }),
  })
  const sockets = new AgentSockets(paths, log, gateway, ptyRelay)
  const lifecycle = new AgentLifecycle({ paths, agents, runtime, directory, broker, activity, failures, control, sockets, terminals, live, log })
  const questions = new QuestionDesk({
    questions: new QuestionsRepository(db.prisma),
    broker,
    live,
    log,
    clockScale: env.HIVE_TEST_MODE ? env.HIVE_TEST_CLOCK_SCALE : 1,
  })
  const approvals = new ApprovalDesk({ approvals: new ApprovalsRepository(db.prisma), paths, broker, live, log, directory, lifecycle })

  let loginUrl = () => ''
  const services: HiveServices = {
    paths,
    lifecycle,
    directory,
    configs: new AgentConfigs({ paths, settings: new SettingsRepository(db.prisma), directory, live }),
    journal,
    failures,
    deadLetters: new DeadLetters({ broker, live }),
    messaging: new Messaging(broker, directory),
    broker,
    control,
    approvals,
    questions,
    live,
    auth,
    daemon: {
      version: HARNESS_VERSION,
      startedAt: Date.now(),
      loginUrl: () => loginUrl(),
      logTail: (name, lines) => tailLines(paths.agentLog(name), lines),
    },
  }
  sockets.serve(services)

  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/api/trpc/',
    createContext: (): ApiContext => ({ services }),
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') log.error({ err: error, path }, 'api error')
    },
  })
  const dashboard = staticFiles(InstallPaths.WEB_OUT)
  const terminalUpgrade = createTerminalUpgrade({
    registry: terminals,
    spec: (agent, kind) => lifecycle.terminal(agent, kind),
    log: log.child({ route: 'pty' }),
  })
  const http = await HttpServer.listen({
    host: env.HIVE_HOST,
    port: env.HIVE_PORT,
    allowedHosts: allowedHostnames(env.HIVE_HOST, env.HIVE_PUBLIC_HOST),
    auth,
    log,
    routes: async (req, res, url) => {
      if (url.pathname.startsWith('/api/trpc/')) {
        trpc(req, res)
        return true
      }
      return dashboard(req, res, url)
    },
    upgrade: terminalUpgrade,
  })
  loginUrl = () => `${http.origin}/login?token=${encodeURIComponent(auth.token)}`
  const admin = await JsonLinesServer.listen(paths.adminSocket, 0o600, createAdminSocketHandler(services), log.child({ socket: 'admin' }))
  await lifecycle.boot()
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
  if (!existsSync(join(InstallPaths.WEB_OUT, 'index.html'))) say('◆ dashboard not built: run `npm run build -w @hive/web` (npm start does it)')
  say(`◆ hive serve ${HARNESS_VERSION} on ${http.origin} (home ${paths.home})`)
  say(`◆ login: ${loginUrl()}`)

  await stop.requested
  terminals.dispose()
  questions.dispose()
  janitor.stop()
  // Agents first: closing the HTTP server waits on its sockets, and agents must not wait on that.
  await shutdownStep(log, 'agents', lifecycle.shutdown(), Shutdown.AGENTS_MS)
  await shutdownStep(log, 'http', http.close())
  await shutdownStep(log, 'admin socket', admin.close())
  await shutdownStep(log, 'database', db.close())
  say('◆ hive serve stopped')
}

/** An agent's approved egress; a broken agent.json allows nothing beyond the CLI's own hosts. */
function appliedEgress(paths: HivePaths, agent: string, log: Logger): readonly string[] {
  try {
    return readAppliedConfig(paths, agent).egress
  } catch (err) {
    log.warn({ err, agent }, 'no egress: the applied agent.json cannot be read')
    return []
  }
}

/** This host's own addresses: the daemon listens on some of them. */
function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address))
}

async function pickRuntime(paths: HivePaths, log: Logger, terminals: PtyRelay): Promise<ContainerRuntime> {
  const wanted = env.HIVE_RUNTIME
  const baseEnv = {
    // eslint-disable-next-line no-restricted-properties -- agents need the host's PATH to find git, node
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LOG_LEVEL: env.LOG_LEVEL,
  }
  const claudeBin = env.HIVE_CLAUDE_BIN ?? defaultClaudeBin()
  if (wanted === 'nixos-container' || (wanted === 'auto' && NixosContainerRuntime.available(baseEnv.PATH))) {
    if (!NixosContainerRuntime.available(baseEnv.PATH)) throw new Error('HIVE_RUNTIME=nixos-container needs root on NixOS (nixos-container on PATH)')
    if (!env.HIVE_NIXPKGS) throw new Error('the nixos-container runtime needs HIVE_NIXPKGS, the nixpkgs its containers are built from (services.hyperhive sets it)')
    // The crash watcher follows container@<name>.service on systemd's bus.
    const units = await SystemdBus.connect({ address: env.DBUS_SYSTEM_BUS_ADDRESS, log: log.child({ systemd: true }) })
    if (!units) throw new Error(`the nixos-container runtime needs systemd on the system bus (${env.DBUS_SYSTEM_BUS_ADDRESS})`)
    return new NixosContainerRuntime({
      paths,
      log,
      projectRoot: InstallPaths.PROJECT_ROOT,
      agentBin: InstallPaths.AGENT_BIN,
      claudeBin,
      baseEnv: { LOG_LEVEL: env.LOG_LEVEL, ...isolatedModelEnv() },
      terminals,
      nixpkgs: env.HIVE_NIXPKGS,
      templateDir: InstallPaths.NIX_TEMPLATE,
      toolPath: baseEnv.PATH,
      units,
    })
  }
  if (wanted === 'nspawn' || (wanted === 'auto' && NspawnRuntime.available())) {
    if (!NspawnRuntime.available()) throw new Error('HIVE_RUNTIME=nspawn needs root and systemd-nspawn (apt-get install systemd-container)')
    // Under systemd the containers are transient units it watches; else supervised children.
    const systemd = await SystemdBus.connect({ address: env.DBUS_SYSTEM_BUS_ADDRESS, log: log.child({ systemd: true }) })
    // No operator secret and no upstream URL: an isolated agent reaches the model through its gateway.
    return new NspawnRuntime({ paths, log, projectRoot: InstallPaths.PROJECT_ROOT, agentBin: InstallPaths.AGENT_BIN, claudeBin, baseEnv: { ...baseEnv, ...isolatedModelEnv() }, terminals, systemd })
  }
  if (wanted === 'auto') log.warn('no isolating runtime here (needs root and systemd-nspawn): using the UNISOLATED process runtime')
  // UNISOLATED: the agent gets the operator's model environment as it is.
  return new ProcessRuntime({ paths, log, agentCommand: [process.execPath, InstallPaths.AGENT_BIN], claudeBin, baseEnv: { ...baseEnv, ...modelEnvPassthrough() } })
}
