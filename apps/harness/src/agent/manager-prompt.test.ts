import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { HELPER_EVENT_NAMES, mcpToolNames } from '@hive/mcp'
import { InstallPaths } from '../adapters/install-paths.ts'

describe('the manager prompt', () => {
  it('names exactly the helper events the daemon sends', () => {
    const prompt = readFileSync(join(InstallPaths.PROMPTS_DIR, 'manager.md'), 'utf8')
    const list = /JSON helper events \(`event`:([^)]*)\)/.exec(prompt)?.[1]
    expect(list, 'the helper-event sentence of prompts/manager.md').toBeDefined()
    const named = [...(list ?? '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1])
    expect([...named].sort()).toEqual([...HELPER_EVENT_NAMES].sort())
  })

  it('describes every tool the manager has, and no git through Bash', () => {
    const prompt = readFileSync(join(InstallPaths.PROMPTS_DIR, 'manager.md'), 'utf8')
    for (const tool of mcpToolNames('manager')) expect(prompt).toContain(`\`${tool.replace(/^mcp__hyperhive__/, '')}(`)
    expect(prompt).not.toContain('git -C /agents')
  })
})
