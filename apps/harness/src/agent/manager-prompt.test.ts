import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { HELPER_EVENT_NAMES } from '@hive/mcp'
import { InstallPaths } from '../adapters/install-paths.ts'

describe('the manager prompt', () => {
  it('names exactly the helper events the daemon sends', () => {
    const prompt = readFileSync(join(InstallPaths.PROMPTS_DIR, 'manager.md'), 'utf8')
    const list = /JSON helper events \(`event`:([^)]*)\)/.exec(prompt)?.[1]
    expect(list, 'the helper-event sentence of prompts/manager.md').toBeDefined()
    const named = [...(list ?? '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1])
    expect([...named].sort()).toEqual([...HELPER_EVENT_NAMES].sort())
  })
})
