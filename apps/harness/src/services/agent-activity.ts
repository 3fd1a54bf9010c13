import type { Activity } from '@hive/mcp'
import type { LiveBus } from './live-bus.ts'

export interface ActivityState {
  activity: Activity
  since: number
  /** During an outage: when the agent tries its model again. */
  retryAt?: number
}

/**
 * What each agent is doing right now (idle / thinking / compacting, or waiting out an outage),
 * pushed live as it changes.
 */
export class AgentActivity {
  private readonly current = new Map<string, ActivityState>()
  private readonly beforeCompacting = new Map<string, ActivityState>()

  constructor(
    private readonly live: LiveBus,
    private readonly now: () => number = Date.now,
  ) {}

  of(name: string): ActivityState | undefined {
    return this.current.get(name)
  }

  set(name: string, activity: Activity, retryAt?: number): void {
    const since = this.now()
    this.current.set(name, { activity, since, ...(retryAt === undefined ? {} : { retryAt }) })
    this.live.publish({ type: 'agent.activity', agent: name, activity, since, retry_at: retryAt ?? null })
  }

  /** Compaction runs inside a turn or on its own; afterwards the agent is back where it was. */
  setCompacting(name: string, active: boolean): void {
    if (active) {
      this.beforeCompacting.set(name, this.current.get(name) ?? { activity: 'idle', since: this.now() })
      this.set(name, 'compacting')
    } else {
      // An outage's state comes back with its retry time.
      const before = this.beforeCompacting.get(name)
      this.set(name, before?.activity ?? 'idle', before?.retryAt)
      this.beforeCompacting.delete(name)
    }
  }

  /**
   * The agent's loop starts over (it connected, or recovers from a failed daemon call): whatever
   * turn or compaction it had reported is over. A wait for the model keeps its state.
   */
  startedOver(name: string): void {
    this.beforeCompacting.delete(name)
    const activity = this.current.get(name)?.activity
    if (activity === 'thinking' || activity === 'compacting') this.set(name, 'idle')
  }

  forget(name: string): void {
    this.current.delete(name)
    this.beforeCompacting.delete(name)
  }
}
