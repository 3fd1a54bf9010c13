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
  private readonly beforeCompacting = new Map<string, Activity>()

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
      this.beforeCompacting.set(name, this.current.get(name)?.activity ?? 'idle')
      this.set(name, 'compacting')
    } else {
      this.set(name, this.beforeCompacting.get(name) ?? 'idle')
      this.beforeCompacting.delete(name)
    }
  }

  forget(name: string): void {
    this.current.delete(name)
    this.beforeCompacting.delete(name)
  }
}
