import type { Logger } from 'pino'
import { rmSync } from 'node:fs'
import type { AgentsRepository, EventsRepository, NewEvent, NewTurn, SettingsRepository, StoredMessage, Turn, TurnsRepository } from '@hive/db'
import { BROADCAST, HiveError, HiveErrorCode, MANAGER_NAME, OPERATOR, type TurnConfig } from '@hive/mcp'
import { effectiveModel } from '../core/agent-config.ts'
import type { HivePaths } from '../node/hive-paths.ts'
import type { AgentLaunch, ContainerExit, ContainerRuntime, ContainerState } from '../node/runtime/container-runtime.ts'
import { SerialLock } from '../core/serial-lock.ts'
import { allocateUidBase } from '../node/runtime/uid-range.ts'
import { JsonLinesServer } from '../node/sockets/json-lines-server.ts'
import { ensureAgentDirs, readAppliedConfig } from './agent-dirs.ts'
import { createAgentSocketHandler } from './agent-socket-handler.ts'
import type { Broker } from './broker.ts'
import { ControlChannel, type ControlCommand } from './control-channel.ts'
import { sendHelperEvent } from './helper-events.ts'
import type { LiveBus, StreamEventView } from './live-bus.ts'
import type { TerminalKind, TerminalSpec } from '../node/pty/pty-registry.ts'
import type { ApprovalDesk } from './approval-desk.ts'
import type { QuestionDesk } from './question-desk.ts'

export type Activity = 'idle' | 'thinking' | 'compacting'

/** One row of `hive list` / the C0NTAINERS section. */
export interface AgentView {
  name: string
  role: 'agent' | 'manager'
  runtime: string
  isolated: boolean
  desired: 'running' | 'stopped'
  state: ContainerState | 'destroyed'
  activity: Activity
  activity_since: number
  unread: number
  created_at: number
  destroyed_at: number | null
}


export interface HiveDeps {
  paths: HivePaths
  broker: Broker
  runtime: ContainerRuntime
  agents: AgentsRepository
  settings: SettingsRepository
  turns: TurnsRepository
  events: EventsRepository
  live: LiveBus
  questions: QuestionDesk
  approvals: ApprovalDesk
  log: Logger
}

/**
 * The coordinator: agents, their sockets and containers, and the rules between them. Every
 * method validates against current state before it changes anything.
 */
export class Hive {
  readonly control = new ControlChannel()
  private readonly sockets = new Map<string, JsonLinesServer>()
  private readonly activity = new Map<string, { activity: Activity; since: number }>()
  private readonly beforeCompacting = new Map<string, Activity>()
  private readonly allocation = new SerialLock()

  constructor(private readonly deps: HiveDeps) {
    deps.runtime.events.on('exit', (exit) => this.onContainerExit(exit))
  }

  get runtimeKind(): string {
    return this.deps.runtime.kind
  }

  /** First start creates the manager; every start requeues leases and brings up desired agents. */
  async boot(): Promise<void> {
    const { agents, log } = this.deps
    if (!(await agents.get(MANAGER_NAME))) {
      await agents.create({ name: MANAGER_NAME, role: 'manager', runtime: this.deps.runtime.kind, uidBase: await this.newUidBase() })
      ensureAgentDirs(this.deps.paths, MANAGER_NAME, 'the hive manager', 'manager')
      log.info('created the manager agent (first start)')
    }
    for (const agent of await agents.list({ includeDestroyed: false })) {
      const requeued = this.deps.broker.requeue(agent.name)
      if (requeued > 0) log.info({ agent: agent.name, requeued }, 'requeued un-acked messages from before the restart')
      ensureAgentDirs(this.deps.paths, agent.name)
      await this.openSocket(agent.name, agent.role)
      if (agent.desired === 'running') await this.deps.runtime.start(await this.launch(agent))
    }
    this.changed()
  }

  /** `announce: false` when the requester hears about it another way (an approval_resolved event). */
  async spawn(name: string, description: string | undefined, by: string, announce = true): Promise<AgentView> {
    // One at a time: two spawns must not both pass the name check or get the same uid range.
    const agent = await this.allocation.run(async () => {
      const existing = await this.deps.agents.get(name)
      if (existing) {
        throw new HiveError(
          HiveErrorCode.Conflict,
          existing.destroyedAt ? `agent ${name} exists as a tombstone (destroyed); revive or purge it first` : `agent ${name} already exists`,
        )
      }
      ensureAgentDirs(this.deps.paths, name, description)
      return this.deps.agents.create({ name, role: 'agent', runtime: this.deps.runtime.kind, uidBase: await this.newUidBase() })
    })
    await this.openSocket(name, 'agent')
    await this.deps.runtime.start(await this.launch(agent))
    this.deps.log.info({ agent: name, by }, 'agent spawned')
    if (announce && by !== MANAGER_NAME) sendHelperEvent(this.deps.broker, { event: 'spawned', agent: name })
    this.changed()
    return this.view(name)
  }

  async kill(name: string, by: string): Promise<AgentView> {
    const agent = await this.liveAgent(name)
    this.refuseSelf(name, by, 'kill')
    await this.deps.agents.setDesired(agent.name, 'stopped')
    await this.deps.runtime.stop(name)
    this.setActivity(name, 'idle')
    if (by !== MANAGER_NAME && name !== MANAGER_NAME) sendHelperEvent(this.deps.broker, { event: 'killed', agent: name, by })
    this.changed()
    return this.view(name)
  }

  async start(name: string, by: string): Promise<AgentView> {
    const agent = await this.liveAgent(name)
    this.refuseSelf(name, by, 'start')
    await this.deps.agents.setDesired(agent.name, 'running')
    if (this.deps.runtime.status(name) !== 'running') {
      this.deps.broker.requeue(name)
      await this.deps.runtime.start(await this.launch(agent))
    }
    this.changed()
    return this.view(name)
  }

  async restart(name: string, by: string): Promise<AgentView> {
    const agent = await this.liveAgent(name)
    this.refuseSelf(name, by, 'restart')
    await this.deps.agents.setDesired(agent.name, 'running')
    await this.deps.runtime.stop(name)
    this.setActivity(name, 'idle')
    this.deps.broker.requeue(name)
    await this.deps.runtime.start(await this.launch(agent))
    this.changed()
    return this.view(name)
  }

  async list(includeDestroyed = false): Promise<AgentView[]> {
    const rows = await this.deps.agents.list({ includeDestroyed })
    return rows.map((row) => this.toView(row))
  }

  async nameState(name: string): Promise<'live' | 'destroyed' | 'none'> {
    const row = await this.deps.agents.get(name)
    return !row ? 'none' : row.destroyedAt ? 'destroyed' : 'live'
  }

  async view(name: string): Promise<AgentView> {
    const row = await this.deps.agents.get(name)
    if (!row) throw new HiveError(HiveErrorCode.NotFound, `no agent named ${name}`)
    return this.toView(row)
  }

  /** Resolves `to` against live agents; nothing is written unless every recipient is valid. */
  async send(from: string, to: string, body: string): Promise<StoredMessage[]> {
    if (to === OPERATOR) return this.deps.broker.send(from, [OPERATOR], body)
    if (to === BROADCAST) {
      const recipients = (await this.deps.agents.list({ includeDestroyed: false }))
        .map((a) => a.name)
        .filter((n) => n !== from)
      if (recipients.length === 0) throw new HiveError(HiveErrorCode.PreconditionFailed, 'no other live agent to broadcast to')
      return this.deps.broker.send(from, recipients, body, true)
    }
    await this.liveAgent(to, 'recipient')
    return this.deps.broker.send(from, [to], body)
  }

  async turnConfig(name: string): Promise<TurnConfig> {
    const agent = await this.liveAgent(name)
    const config = readAppliedConfig(this.deps.paths, name)
    const override = await this.deps.settings.get(name)
    const bashOverride = override?.bashPatterns ? (JSON.parse(override.bashPatterns) as string[]) : undefined
    return {
      name,
      role: agent.role,
      model: effectiveModel(override?.model, config),
      bash_patterns: bashOverride ?? config.bash,
      notes_compact_bytes: config.notesCompactBytes,
    }
  }

  /** Stop, keep everything on disk and in the database (a tombstone); `purge` wipes it all. */
  async destroy(name: string, purge: boolean, by: string): Promise<void> {
    if (name === MANAGER_NAME) throw new HiveError(HiveErrorCode.Forbidden, 'the manager cannot be destroyed')
    const agent = await this.deps.agents.get(name)
    if (!agent) throw new HiveError(HiveErrorCode.NotFound, `no agent named ${name}`)
    if (agent.destroyedAt && !purge) throw new HiveError(HiveErrorCode.Conflict, `agent ${name} is already destroyed`)
    await this.deps.runtime.stop(name)
    await this.closeSocket(name)
    this.control.clear(name)
    this.activity.delete(name)
    if (purge) {
      await this.deps.agents.remove(name)
      for (const dir of [this.deps.paths.agentDir(name), this.deps.paths.appliedRepo(name), this.deps.paths.agentRunDir(name)]) {
        rmSync(dir, { recursive: true, force: true })
      }
    } else {
      await this.deps.agents.markDestroyed(name)
    }
    this.deps.log.info({ agent: name, purge, by }, purge ? 'agent purged' : 'agent destroyed (tombstone kept)')
    sendHelperEvent(this.deps.broker, { event: 'destroyed', agent: name, purged: purge })
    this.changed()
  }

  /** Brings a tombstone back with the state it had. */
  async revive(name: string, by: string): Promise<AgentView> {
    const agent = await this.deps.agents.get(name)
    if (!agent) throw new HiveError(HiveErrorCode.NotFound, `no agent named ${name}`)
    if (!agent.destroyedAt) throw new HiveError(HiveErrorCode.Conflict, `agent ${name} is not destroyed`)
    await this.deps.agents.revive(name)
    ensureAgentDirs(this.deps.paths, name)
    await this.openSocket(name, agent.role)
    this.deps.broker.requeue(name)
    await this.deps.runtime.start(await this.launch(agent))
    this.deps.log.info({ agent: name, by }, 'agent revived')
    this.changed()
    return this.view(name)
  }

  async setModel(name: string, model: string | null, by: string): Promise<void> {
    await this.liveAgent(name)
    await this.deps.settings.setModel(name, model, by)
    this.changed()
  }

  /** Out-of-band command to a running turn loop (cancel turn, compact, new session). */
  async sendControl(name: string, command: ControlCommand): Promise<void> {
    await this.liveAgent(name)
    if (this.deps.runtime.status(name) !== 'running') {
      throw new HiveError(HiveErrorCode.PreconditionFailed, `agent ${name} is not running`)
    }
    this.control.push(name, command)
  }

  setActivity(name: string, activity: Activity): void {
    const since = Date.now()
    this.activity.set(name, { activity, since })
    this.deps.live.publish({ type: 'agent.activity', agent: name, activity, since })
  }

  /** Compaction runs inside a turn or on its own; afterwards the agent is back where it was. */
  setCompacting(name: string, active: boolean): void {
    if (active) {
      this.beforeCompacting.set(name, this.activity.get(name)?.activity ?? 'idle')
      this.setActivity(name, 'compacting')
    } else {
      this.setActivity(name, this.beforeCompacting.get(name) ?? 'idle')
      this.beforeCompacting.delete(name)
    }
  }

  /** The manager hears when a sub-agent's notes were compacted (its own would only wake it). */
  notesCompacted(name: string, bytesBefore: number, bytesAfter: number): void {
    this.deps.log.info({ agent: name, bytesBefore, bytesAfter }, 'notes compacted')
    if (name !== MANAGER_NAME) sendHelperEvent(this.deps.broker, { event: 'notes_compacted', agent: name, bytes_before: bytesBefore, bytes_after: bytesAfter })
  }

  async recordTurnEvents(name: string, events: NewEvent[]): Promise<void> {
    const rows = await this.deps.events.append(name, events)
    for (const row of rows) this.deps.live.publish({ type: 'turn.event', event: toStreamEventView(row) })
  }

  async recordTurn(turn: NewTurn): Promise<void> {
    await this.deps.turns.record(turn)
    this.setActivity(turn.agent, 'idle')
    this.deps.live.publish({ type: 'turn.ended', agent: turn.agent, ok: turn.ok })
  }

  lastTurn(name: string): Promise<Turn | null> {
    return this.deps.turns.last(name)
  }

  recentTurns(name: string, limit: number): Promise<Turn[]> {
    return this.deps.turns.recent(name, limit)
  }

  async streamEvents(name: string, limit: number, afterId = 0): Promise<StreamEventView[]> {
    return (await this.deps.events.recent(name, limit, afterId)).map(toStreamEventView)
  }

  async modelOverride(name: string): Promise<string | null> {
    return (await this.deps.settings.get(name))?.model ?? null
  }

  get paths(): HivePaths {
    return this.deps.paths
  }

  /** What a terminal on this agent runs; refuses unknown and destroyed agents. */
  async terminalSpec(name: string, kind: TerminalKind): Promise<TerminalSpec> {
    await this.liveAgent(name)
    return this.deps.runtime.terminal(name, kind)
  }

  get questions(): QuestionDesk {
    return this.deps.questions
  }

  get approvals(): ApprovalDesk {
    return this.deps.approvals
  }

  get broker(): Broker {
    return this.deps.broker
  }

  async shutdown(): Promise<void> {
    await this.deps.runtime.dispose()
    await Promise.all([...this.sockets.values()].map((s) => s.close()))
    this.sockets.clear()
  }

  private changed(): void {
    this.deps.live.publish({ type: 'agents.changed' })
  }

  private async closeSocket(name: string): Promise<void> {
    await this.sockets.get(name)?.close()
    this.sockets.delete(name)
  }

  private async openSocket(name: string, role: 'agent' | 'manager'): Promise<void> {
    if (this.sockets.has(name)) return
    const handler = createAgentSocketHandler(this, name, role)
    const socketLog = this.deps.log.child({ socket: name })
    this.sockets.set(name, await JsonLinesServer.listen(this.deps.paths.agentSocket(name), 0o600, handler, socketLog))
  }

  /** Isolating runtimes give every agent its own host uid range, recorded for good. */
  private async newUidBase(): Promise<number | null> {
    if (!this.deps.runtime.isolated) return null
    return allocateUidBase((await this.deps.agents.list({ includeDestroyed: true })).map((a) => a.uidBase))
  }

  /** An agent created under the process runtime gets its range when an isolating one takes over. */
  private async withUidRange<A extends { name: string; uidBase: number | null }>(agent: A): Promise<A> {
    if (agent.uidBase !== null || !this.deps.runtime.isolated) return agent
    return this.allocation.run(async () => {
      const recorded = (await this.deps.agents.get(agent.name))?.uidBase ?? (await this.newUidBase())
      if (recorded === null) return agent
      await this.deps.agents.setUidBase(agent.name, recorded)
      return { ...agent, uidBase: recorded }
    })
  }

  private async launch(agent: { name: string; role: 'agent' | 'manager'; uidBase: number | null }): Promise<AgentLaunch> {
    const { uidBase } = await this.withUidRange(agent)
    const manager = agent.role === 'manager' ? { uidBase } : await this.deps.agents.get(MANAGER_NAME)
    return { name: agent.name, role: agent.role, uidBase, configOwnerUid: manager?.uidBase ?? null }
  }

  private async liveAgent(name: string, what = 'agent') {
    const agent = await this.deps.agents.get(name)
    if (!agent) throw new HiveError(HiveErrorCode.NotFound, `unknown ${what} "${name}": no such agent`)
    if (agent.destroyedAt) throw new HiveError(HiveErrorCode.PreconditionFailed, `${what} "${name}" is destroyed`)
    return agent
  }

  private refuseSelf(name: string, by: string, verb: string): void {
    if (name === by) throw new HiveError(HiveErrorCode.Forbidden, `an agent cannot ${verb} itself`)
  }

  private toView(row: {
    name: string
    role: 'agent' | 'manager'
    runtime: string
    desired: 'running' | 'stopped'
    createdAt: Date
    destroyedAt: Date | null
  }): AgentView {
    const activity = this.activity.get(row.name) ?? { activity: 'idle' as const, since: row.createdAt.getTime() }
    return {
      name: row.name,
      role: row.role,
      runtime: row.runtime,
      isolated: this.deps.runtime.isolated,
      desired: row.desired,
      state: row.destroyedAt ? 'destroyed' : this.deps.runtime.status(row.name),
      activity: activity.activity,
      activity_since: activity.since,
      unread: this.deps.broker.unread(row.name),
      created_at: row.createdAt.getTime(),
      destroyed_at: row.destroyedAt?.getTime() ?? null,
    }
  }

  private onContainerExit(exit: ContainerExit): void {
    this.setActivity(exit.name, 'idle')
    this.control.clear(exit.name)
    this.changed()
    if (exit.expected) return
    const note = `exited unexpectedly (code ${exit.code ?? '-'}, signal ${exit.signal ?? '-'}); see \`hive logs ${exit.name}\``
    this.deps.log.warn({ agent: exit.name, code: exit.code, signal: exit.signal }, 'agent container crashed')
    // The manager cannot handle its own crash; the operator hears about it instead.
    const to = exit.name === MANAGER_NAME ? OPERATOR : MANAGER_NAME
    sendHelperEvent(this.deps.broker, { event: 'container_crash', agent: exit.name, note }, to)
  }
}

function toStreamEventView(row: { id: number; agent: string; ts: Date; kind: string; payloadJson: string }): StreamEventView {
  return { id: row.id, agent: row.agent, ts: row.ts.getTime(), kind: row.kind, payload: JSON.parse(row.payloadJson) as unknown }
}
