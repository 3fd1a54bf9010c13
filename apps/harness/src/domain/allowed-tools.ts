/** Built-in claude tools every agent gets. No WebFetch/WebSearch/Task, and never blanket Bash. */
const BUILTIN_TOOLS = ['Edit', 'Glob', 'Grep', 'Read', 'Write'] as const

export interface ToolGrant {
  /** `--tools`: which built-ins exist at all in the session. */
  builtins: string[]
  /** `--allowedTools`: what runs without a permission prompt (everything else is denied in --print). */
  allowed: string[]
}

/**
 * Bash exists only when the agent has allow-list patterns, and then only `Bash(<pattern>)` is
 * auto-approved: any other command is denied by the CLI in --print mode.
 */
export function resolveToolGrant(bashPatterns: readonly string[], mcpTools: readonly string[]): ToolGrant {
  const builtins: string[] = [...BUILTIN_TOOLS]
  if (bashPatterns.length > 0) builtins.push('Bash')
  return {
    builtins,
    allowed: [...BUILTIN_TOOLS, ...bashPatterns.map((p) => `Bash(${p})`), ...mcpTools],
  }
}
