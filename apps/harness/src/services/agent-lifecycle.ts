import type { Logger } from 'pino'
import type { AgentRecord, AgentsRepository } from '@hive/db'
import { HiveError, HiveErrorCode, MANAGER_NAME, OPERATOR, type AgentView, type ControlCommand } from '@hive/mcp'
import type { TerminalKind } from '@hive/mcp/terminal-frames'
import { ensureAgentDirs, removeAgentTree } from '../adapters/agent-dirs.ts'
import type { HivePaths } from '../adapters/hive-paths.ts'
import type { TerminalSpec } from '../adapters/pty/pty-registry.ts'
import type { AgentLaunch, ContainerExit, ContainerRuntime } from '../adapters/runtime/container-runtime.ts'
import { allocateUidBase } from '../adapters/runtime/uid-range.ts'
import { SerialLock } from '../domain/serial-lock.ts'
import type { AgentActivity } from './agent-activity.ts'
import type { TurnFailures } from './turn-failures.ts'
import type { AgentDirectory } from './agent-directory.ts'
import type { Broker } from './broker.ts'
import type { ControlChannel } from './control-channel.ts'
import { sendHelperEvent } from './helper-events.ts'
import type { LiveBus } from './live-bus.ts'

/** The agents' sockets (identity = socket): open while an agent exists and is not destroyed. */
export interface AgentSocketHost {
  open(name: string, role: 'agent' | 'manager'): Promise<void>
  close(name: string): Promise<void>
  closeAll(): Promise<void>
}

export interface AgentLifecycleDeps {
  paths: HivePaths
  agents: AgentsRepository
  runtime: ContainerRuntime
  directory: AgentDirectory
  broker: Broker
  activity: AgentActivity
  /** Outage backoff is per agent: a destroyed one's must not pass to a new agent of its name. */
  failures: Pick<TurnFailures, 'forget'>
  control: ControlChannel
  sockets: AgentSocketHost
  /** Open terminals of an agent end with it. */
  terminals: { closeAgent(name: string): void }
  live: LiveBus
  log: Logger
}

/**
 * Agents coming and going: spawn through revive, their containers, uid ranges and sockets. Every
 * method validates against current state before it changes anything; `by` is who asked (the
 * operator or the manager), and decides which helper events the manager hears.
 */
export class AgentLifecycle {
  private readonly allocation = new SerialLock()

  constructor(private readonly deps: AgentLifecycleDeps) {
    deps.runtime.events.on('exit', (exit) => {
      try {
        this.onContainerExit(exit)
      } catch (err) {
        // Thrown here it would reach the runtime's emit and skip the rest of its exit handling.
        deps.log.error({ err, agent: exit.name }, 'could not handle an agent container exit')
      }
    })
  }

  get runtimeKind(): string {
    return this.deps.runtime.kind
  }

  /** First start creates the manager; every start requeues leases and brings up desired agents. */
  async boot(): Promise<void> {
    const { agents, log } = this.deps
    if (!(await agents.get(MANAGER_NAME))) {
      await agents.create({ name: MANAGER_NAME, role: 'manager', runtime: this.deps.runtime.kind, uidBase: await this.newUidBase() })
      ensureAgentDirs(this.deps.paths, this.deps.log, MANAGER_NAME, 'the hive manager', 'manager')
      log.info('created the manager agent (first start)')
    }
    for (const agent of await agents.list({ includeDestroyed: false })) {
      const requeued = await this.deps.broker.requeue(agent.name)
      if (requeued > 0) log.info({ agent: agent.name, requeued }, 'requeued un-acked messages from before the restart')
      ensureAgentDirs(this.deps.paths, this.deps.log, agent.name)
      await this.deps.sockets.open(agent.name, agent.role)
      if (agent.desired === 'running') await this.deps.runtime.start(await this.launch(agent))
    }
    this.changed()
  }

  /** `announce: false` when the requester hears about it another way (an approval_resolved event). */
  async spawn(name: string, description: string | undefined, by: string, announce = true): Promise<AgentView> {
    this.deps.paths.checkAgentSockets(name)
    // One at a time: two spawns must not both pass the name check or get the same uid range.
    const agent = await this.allocation.run(async () => {
      const existing = await this.deps.agents.get(name)
      if (existing) {
        throw new HiveError(
          HiveErrorCode.Conflict,
          existing.destroyedAt ? `agent ${name} exists as a tombstone (destroyed); revive or purge it first` : `agent ${name} already exists`,
        )
      }
      ensureAgentDirs(this.deps.paths, this.deps.log, name, description)
      return this.deps.agents.create({ name, role: 'agent', runtime: this.deps.runtime.kind, uidBase: await this.newUidBase() })
    })
    await this.deps.sockets.open(name, 'agent')
    await this.deps.runtime.start(await this.launch(agent))
    this.deps.log.info({ agent: name, by }, 'agent spawned')
    if (announce && by !== MANAGER_NAME) sendHelperEvent(this.deps, { event: 'spawned', agent: name })
    this.changed()
    return this.deps.directory.view(name)
  }

  async kill(name: string, by: string): Promise<AgentView> {
    const agent = await this.liveOther(name, by, 'kill')
    await this.deps.agents.setDesired(agent.name, 'stopped')
    await this.deps.runtime.stop(name)
    this.deps.activity.set(name, 'idle')
    if (by !== MANAGER_NAME && name !== MANAGER_NAME) sendHelperEvent(this.deps, { event: 'killed', agent: name, by })
    this.changed()
    return this.deps.directory.view(name)
  }

  async start(name: string, by: string): Promise<AgentView> {
    const agent = await this.liveOther(name, by, 'start')
    await this.deps.agents.setDesired(agent.name, 'running')
    if (this.deps.runtime.status(name) !== 'running') {
      await this.deps.broker.requeue(name)
      await this.deps.runtime.start(await this.launch(agent))
    }
    this.changed()
    return this.deps.directory.view(name)
  }

  async restart(name: string, by: string): Promise<AgentView> {
    const agent = await this.liveOther(name, by, 'restart')
    await this.deps.agents.setDesired(agent.name, 'running')
    await this.deps.runtime.stop(name)
    this.deps.activity.set(name, 'idle')
    await this.deps.broker.requeue(name)
    await this.deps.runtime.start(await this.launch(agent))
    this.changed()
    return this.deps.directory.view(name)
  }

  /**
   * Restart from the applied config. Runtimes that read agent.json every turn have nothing to
   * build, so this is a restart; the manager hears `rebuilt` unless it asked itself.
   */
  async rebuild(name: string, by: string): Promise<AgentView> {
    const view = await this.restart(name, by)
    if (by !== MANAGER_NAME && name !== MANAGER_NAME) sendHelperEvent(this.deps, { event: 'rebuilt', agent: name, by })
    return view
  }

  /** Stop, keep everything on disk and in the database (a tombstone); `purge` wipes it all. */
  async destroy(name: string, purge: boolean, by: string): Promise<void> {
    if (name === MANAGER_NAME) throw new HiveError(HiveErrorCode.Forbidden, 'the manager cannot be destroyed')
    const agent = await this.deps.directory.existing(name)
    if (agent.destroyedAt && !purge) throw new HiveError(HiveErrorCode.Conflict, `agent ${name} is already destroyed`)
    await this.deps.runtime.stop(name)
    await this.deps.sockets.close(name)
    this.deps.terminals.closeAgent(name)
    this.deps.control.clear(name)
    this.deps.activity.forget(name)
    this.deps.failures.forget(name)
    if (purge) {
      await this.deps.runtime.remove?.(name)
      // Rows too, not only files: a new agent of this name must not inherit its inbox or turns.
      const rows = await this.deps.agents.purge(name)
      if (rows.approvals > 0) this.deps.live.publish({ type: 'approvals.changed' })
      for (const dir of [this.deps.paths.agentDir(name), this.deps.paths.appliedRepo(name), this.deps.paths.agentRunDir(name)]) {
        removeAgentTree(dir)
      }
      this.deps.log.info({ agent: name, by, rows }, 'agent purged')
    } else {
      await this.deps.agents.markDestroyed(name)
      this.deps.log.info({ agent: name, by }, 'agent destroyed (tombstone kept)')
    }
    sendHelperEvent(this.deps, { event: 'destroyed', agent: name, purged: purge })
    this.changed()
  }

  /** Brings a tombstone back with the state it had. */
  async revive(name: string, by: string): Promise<AgentView> {
    const agent = await this.deps.directory.existing(name)
    if (!agent.destroyedAt) throw new HiveError(HiveErrorCode.Conflict, `agent ${name} is not destroyed`)
    this.deps.paths.checkAgentSockets(name)
    await this.deps.agents.revive(name)
    ensureAgentDirs(this.deps.paths, this.deps.log, name)
    await this.deps.sockets.open(name, agent.role)
    await this.deps.broker.requeue(name)
    await this.deps.runtime.start(await this.launch(agent))
    this.deps.log.info({ agent: name, by }, 'agent revived')
    this.changed()
    return this.deps.directory.view(name)
  }

  /** Out-of-band command to a running turn loop (cancel turn, compact, new session). */
  async sendControl(name: string, command: ControlCommand): Promise<void> {
    await this.deps.directory.live(name)
    if (this.deps.runtime.status(name) !== 'running') {
      throw new HiveError(HiveErrorCode.PreconditionFailed, `agent ${name} is not running`)
    }
    this.deps.control.push(name, { command })
  }

  /** What a terminal on this agent runs; refuses unknown and destroyed agents. */
  async terminal(name: string, kind: TerminalKind): Promise<TerminalSpec> {
    await this.deps.directory.live(name)
    return this.deps.runtime.terminal(name, kind)
  }

  async shutdown(): Promise<void> {
    await this.deps.runtime.dispose()
    await this.deps.sockets.closeAll()
  }

  private changed(): void {
    this.deps.live.publish({ type: 'agents.changed' })
  }

  private async liveOther(name: string, by: string, verb: string): Promise<AgentRecord> {
    const agent = await this.deps.directory.live(name)
    if (name === by) throw new HiveError(HiveErrorCode.Forbidden, `an agent cannot ${verb} itself`)
    return agent
  }

  /** Isolating runtimes give every agent its own host uid range, recorded for good. */
  private async newUidBase(): Promise<number | null> {
    if (!this.deps.runtime.isolated) return null
    return allocateUidBase((await this.deps.agents.list({ includeDestroyed: true })).map((a) => a.uidBase))
  }

  /** An agent created under the process runtime gets its range when an isolating one takes over. */
  private async withUidRange(agent: AgentRecord): Promise<AgentRecord> {
    if (agent.uidBase !== null || !this.deps.runtime.isolated) return agent
    return this.allocation.run(async () => {
      const recorded = (await this.deps.agents.get(agent.name))?.uidBase ?? (await this.newUidBase())
      if (recorded === null) return agent
      await this.deps.agents.setUidBase(agent.name, recorded)
      return { ...agent, uidBase: recorded }
    })
  }

  private async launch(agent: AgentRecord): Promise<AgentLaunch> {
    const { uidBase } = await this.withUidRange(agent)
    const manager = agent.role === 'manager' ? { uidBase } : await this.deps.agents.get(MANAGER_NAME)
    return { name: agent.name, role: agent.role, uidBase, configOwnerUid: manager?.uidBase ?? null }
  }

  private onContainerExit(exit: ContainerExit): void {
    this.deps.activity.set(exit.name, 'idle')
    this.deps.control.clear(exit.name)
    this.changed()
    if (exit.expected) return
    const why = exit.reason === undefined ? '' : `: ${exit.reason}`
    const note = `exited unexpectedly (code ${exit.code ?? '-'}, signal ${exit.signal ?? '-'})${why}; see \`hive logs ${exit.name}\``
    this.deps.log.warn({ agent: exit.name, code: exit.code, signal: exit.signal, reason: exit.reason }, 'agent container crashed')
    // The manager cannot handle its own crash; the operator hears about it instead.
    const to = exit.name === MANAGER_NAME ? OPERATOR : MANAGER_NAME
    const result = exit.result === undefined ? {} : { result: exit.result }
    sendHelperEvent(this.deps, { event: 'container_crash', agent: exit.name, note, ...result }, to)
  }
}
