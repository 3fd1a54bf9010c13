import { describe, expect, it } from 'vitest'
import { resolveToolGrant } from './allowed-tools.ts'
import { agentConfigSchema, defaultAgentConfig, effectiveModel } from './agent-config.ts'

describe('resolveToolGrant', () => {
  it('gives no Bash at all without patterns', () => {
    const g = resolveToolGrant([], ['mcp__hyperhive__send'])
    expect(g.builtins).toEqual(['Edit', 'Glob', 'Grep', 'Read', 'Write'])
    expect(g.allowed).toEqual(['Edit', 'Glob', 'Grep', 'Read', 'Write', 'mcp__hyperhive__send'])
  })

  it('allows only the listed Bash patterns, never blanket Bash', () => {
    const g = resolveToolGrant(['git *', 'ls'], [])
    expect(g.builtins).toContain('Bash')
    expect(g.allowed).toContain('Bash(git *)')
    expect(g.allowed).toContain('Bash(ls)')
    expect(g.allowed).not.toContain('Bash')
  })

  it('gives the default manager no Bash: it commits configs through commit_config', () => {
    const g = resolveToolGrant(defaultAgentConfig(undefined, 'manager').bash, ['mcp__hyperhive__commit_config'])
    expect(g.builtins).not.toContain('Bash')
    expect(g.allowed.filter((t) => t.startsWith('Bash'))).toEqual([])
    expect(g.allowed).toContain('mcp__hyperhive__commit_config')
  })
})

describe('agent.json', () => {
  it('refuses patterns that would widen to every command or break the grammar', () => {
    for (const bad of ['*', ':*', '**', '*:*', 'sh *', 'bash *', 'env *', 'git -C /agents/*', 'git) Bash(rm', '']) {
      expect(agentConfigSchema.safeParse({ bash: [bad] }).success).toBe(false)
    }
    expect(agentConfigSchema.safeParse({ bash: ['git *'], unknown: 1 }).success).toBe(false)
  })

  it('resolves the model: override > agent.json > haiku', () => {
    const config = agentConfigSchema.parse({})
    expect(effectiveModel(undefined, config)).toBe('haiku')
    expect(effectiveModel(null, { ...config, model: 'sonnet' })).toBe('sonnet')
    expect(effectiveModel('opus', { ...config, model: 'sonnet' })).toBe('opus')
  })
})
