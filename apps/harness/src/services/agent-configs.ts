import type { SettingsRepository } from '@hive/db'
import type { TurnConfig } from '@hive/mcp'
import { readAppliedConfig } from '../adapters/agent-dirs.ts'
import type { HivePaths } from '../adapters/hive-paths.ts'
import { effectiveModel } from '../domain/agent-config.ts'
import type { AgentDirectory } from './agent-directory.ts'
import type { LiveBus } from './live-bus.ts'

export interface AgentConfigsDeps {
  paths: HivePaths
  settings: SettingsRepository
  directory: Pick<AgentDirectory, 'live'>
  live: LiveBus
}

/** What an agent runs with: its applied agent.json under the operator's overrides. */
export class AgentConfigs {
  constructor(private readonly deps: AgentConfigsDeps) {}

  async turnConfig(name: string): Promise<TurnConfig> {
    const agent = await this.deps.directory.live(name)
    const config = readAppliedConfig(this.deps.paths, name)
    const override = await this.deps.settings.get(name)
    const bashOverride = override?.bashPatterns ? (JSON.parse(override.bashPatterns) as string[]) : undefined
    return {
      name,
      role: agent.role,
      model: effectiveModel(override?.model, config),
      bash_patterns: bashOverride ?? config.bash,
      notes_compact_bytes: config.notesCompactBytes,
      turn_timeout_seconds: config.turnTimeoutSeconds,
    }
  }

  async modelOverride(name: string): Promise<string | null> {
    return (await this.deps.settings.get(name))?.model ?? null
  }

  async setModel(name: string, model: string | null, by: string): Promise<void> {
    await this.deps.directory.live(name)
    await this.deps.settings.setModel(name, model, by)
    this.deps.live.publish({ type: 'agents.changed' })
  }
}
