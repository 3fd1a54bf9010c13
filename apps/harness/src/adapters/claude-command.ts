import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { ToolGrant } from '../domain/allowed-tools.ts'

/** The real Claude Code CLI shipped as our `@anthropic-ai/claude-code` dependency. */
export function defaultClaudeBin(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('@anthropic-ai/claude-code/package.json')), 'bin', 'claude.exe')
}

export interface ClaudeArgsInput {
  model: string
  continueSession: boolean
  systemPromptFile: string
  mcpConfigFile: string
  grant: ToolGrant
  /** Directories besides the cwd that file tools may touch (the manager's /agents). */
  addDirs?: string[]
}

/** One non-interactive run whose every event streams out as JSON lines. */
export function printModeArgs(model: string): string[] {
  return ['--print', '--verbose', '--output-format', 'stream-json', '--model', model]
}

/**
 * argv for one turn. The prompt goes on stdin: `--allowedTools` is variadic and would swallow a
 * trailing prompt argument.
 */
export function buildClaudeArgs(input: ClaudeArgsInput): string[] {
  return [
    ...printModeArgs(input.model),
    ...(input.continueSession ? ['--continue'] : []),
    '--system-prompt-file',
    input.systemPromptFile,
    '--mcp-config',
    input.mcpConfigFile,
    '--strict-mcp-config',
    ...(input.addDirs?.length ? ['--add-dir', ...input.addDirs] : []),
    '--tools',
    input.grant.builtins.join(','),
    '--allowedTools',
    ...input.grant.allowed,
  ]
}
