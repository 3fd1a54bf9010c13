import { z } from 'zod'

const DEFAULT_MODEL = 'haiku'
/** notes.md above this many bytes is compacted by a short second `claude` session. */
const DEFAULT_NOTES_COMPACT_BYTES = 16 * 1024

/**
 * A Bash allow-list entry as in claude's `--allowedTools "Bash(<pattern>)"` grammar. A lone `*`
 * would be blanket Bash, which agents never get; `(` `)` would break out of the grammar.
 */
const bashPatternSchema = z
  .string()
  .min(1, 'bash pattern is empty')
  .max(200)
  .refine((p) => !/[()]/.test(p), 'bash pattern may not contain ( or )')
  .refine((p) => p.trim() !== '*' && p.trim() !== ':*', 'bash pattern "*" would allow every command')

/** `agent.json`: the one source of truth for an agent's config (read by TS and by nix/agent.nix). */
export const agentConfigSchema = z
  .object({
    description: z.string().max(4096).optional(),
    model: z.string().min(1).max(128).optional(),
    bash: z.array(bashPatternSchema).max(64).default([]),
    notesCompactBytes: z.number().int().min(1024).max(1024 * 1024).default(DEFAULT_NOTES_COMPACT_BYTES),
  })
  .strict()

export type AgentConfig = z.infer<typeof agentConfigSchema>

/** The manager edits other agents' config repos (mounted at /agents in its container) with git. */
const MANAGER_BASH_PATTERNS = ['git -C /agents/*']

export function defaultAgentConfig(description?: string, role: 'agent' | 'manager' = 'agent'): AgentConfig {
  return {
    ...(description ? { description } : {}),
    bash: role === 'manager' ? [...MANAGER_BASH_PATTERNS] : [],
    notesCompactBytes: DEFAULT_NOTES_COMPACT_BYTES,
  }
}

/** Operator override (dashboard/CLI) > agent.json `model` > haiku. */
export function effectiveModel(override: string | null | undefined, config: AgentConfig): string {
  return override ?? config.model ?? DEFAULT_MODEL
}
