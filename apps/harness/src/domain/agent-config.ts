import * as z from 'zod'
import { modelNameSchema } from '@hive/mcp'
import { blanketPatternReason } from './bash-pattern.ts'

const DEFAULT_MODEL = 'haiku'
/** notes.md above this many bytes is compacted by a short second `claude` session. */
const DEFAULT_NOTES_COMPACT_BYTES = 16 * 1024
/** A turn running longer than this is stopped and counts as a turn error. */
const DEFAULT_TURN_TIMEOUT_SECONDS = 1800

/**
 * A Bash allow-list entry as in claude's `--allowedTools "Bash(<pattern>)"` grammar. Blanket Bash
 * — `*`, or a shell, runner or open `git` option in effect (bash-pattern.ts) — is refused; `(` `)`
 * would break out of the grammar.
 */
const bashPatternSchema = z
  .string()
  .min(1, 'bash pattern is empty')
  .max(200)
  .refine((p) => !/[()]/.test(p), 'bash pattern may not contain ( or )')
  .refine((p) => blanketPatternReason(p) === undefined, { error: (issue) => blanketPatternReason(String(issue.input)) ?? 'bash pattern is too broad' })

/** `host:port` an agent may reach through the gateway's CONNECT proxy (approved like any config). */
const egressTargetSchema = z
  .string()
  .max(260)
  .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?:[0-9]{1,5}$|^\[[0-9a-f:.]+\]:[0-9]{1,5}$/i, 'egress entry must be host:port (a DNS name or an IP literal, lowercase, no scheme)')
  .refine((t) => {
    const port = Number(t.slice(t.lastIndexOf(':') + 1))
    return port >= 1 && port <= 65535
  }, 'egress port must be 1..65535')

/**
 * A nixpkgs attribute path (`ripgrep`, `python3Packages.requests`) for the agent's container: a
 * name looked up in nixpkgs by nix/agent.nix, never an expression.
 */
const nixPackageSchema = z
  .string()
  .max(200)
  .regex(/^[a-zA-Z_][a-zA-Z0-9_'-]*(\.[a-zA-Z_][a-zA-Z0-9_'-]*)*$/, 'must be a nixpkgs attribute path such as "ripgrep" or "python3Packages.requests"')

/** Resource limits of the agent's container (cgroups): it dies alone when it hits them. */
export const ContainerLimits = {
  MEMORY_MB: 2048,
  PIDS: 512,
  /** cgroup v2 cpu.weight scale (1..10000, 100 = an equal share). */
  CPU_WEIGHT: 100,
} as const

const limitsSchema = z
  .object({
    memoryMB: z.number().int().min(64).max(1024 * 1024).default(ContainerLimits.MEMORY_MB),
    pids: z.number().int().min(16).max(1 << 22).default(ContainerLimits.PIDS),
    cpuWeight: z.number().int().min(1).max(10_000).default(ContainerLimits.CPU_WEIGHT),
  })
  .strict()

/**
 * `agent.json`: the one source of truth for an agent's config, read here and by nix/agent-config.nix
 * (nix-template.test.ts keeps the two in step).
 */
export const agentConfigSchema = z
  .object({
    description: z.string().max(4096).optional(),
    model: modelNameSchema.optional(),
    bash: z.array(bashPatternSchema).max(64).default([]),
    notesCompactBytes: z.number().int().min(1024).max(1024 * 1024).default(DEFAULT_NOTES_COMPACT_BYTES),
    turnTimeoutSeconds: z.number().int().min(1).max(24 * 60 * 60).default(DEFAULT_TURN_TIMEOUT_SECONDS),
    egress: z.array(egressTargetSchema).max(64).default([]),
    limits: limitsSchema.default({ memoryMB: ContainerLimits.MEMORY_MB, pids: ContainerLimits.PIDS, cpuWeight: ContainerLimits.CPU_WEIGHT }),
    /** Extra nixpkgs packages, installed in the container by the nixos-container runtime only. */
    packages: z.array(nixPackageSchema).max(64).optional(),
  })
  .strict()

export type AgentConfig = z.infer<typeof agentConfigSchema>

/**
 * The manager gets no Bash by default: it edits /agents/<name>/config/agent.json with Write/Edit
 * and commits through its `commit_config` tool (`git -C /agents/*` admitted `-c alias.x='!cmd'`).
 */
const MANAGER_BASH_PATTERNS: readonly string[] = []

export function defaultAgentConfig(description?: string, role: 'agent' | 'manager' = 'agent'): AgentConfig {
  return {
    ...(description ? { description } : {}),
    bash: role === 'manager' ? [...MANAGER_BASH_PATTERNS] : [],
    notesCompactBytes: DEFAULT_NOTES_COMPACT_BYTES,
    turnTimeoutSeconds: DEFAULT_TURN_TIMEOUT_SECONDS,
    egress: [],
    limits: { memoryMB: ContainerLimits.MEMORY_MB, pids: ContainerLimits.PIDS, cpuWeight: ContainerLimits.CPU_WEIGHT },
  }
}

/** Operator override (dashboard/CLI) > agent.json `model` > haiku. */
export function effectiveModel(override: string | null | undefined, config: AgentConfig): string {
  return override ?? config.model ?? DEFAULT_MODEL
}
