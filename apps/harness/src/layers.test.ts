import { ESLint } from 'eslint'
import tseslint from 'typescript-eslint'
import { describe, expect, it } from 'vitest'

/** The layer table of the README, as the lint rule enforces it (eslint.config.js `layerRules`). */
describe('harness layers', () => {
  const eslint = new ESLint({ overrideConfig: [tseslint.configs.disableTypeChecked] })
  const lint = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: `apps/harness/src/${file}` })
    return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
  }

  it.each([
    ['domain/x.ts', "import '../adapters/hive-paths.ts'\n"],
    ['adapters/x.ts', "import '../services/broker.ts'\n"],
    ['services/x.ts', "import '../transports/admin-socket.ts'\n"],
    ['services/x.ts', "import '../operations/operation.ts'\n"],
    ['operations/x.ts', "import '../main/serve.ts'\n"],
    ['transports/api/routers/x.ts', "import '../../../main/serve.ts'\n"],
    ['agent/x.ts', "import '../services/broker.ts'\n"],
  ])('refuses %s importing %s', async (file, code) => {
    expect(await lint(file, code)).toEqual([expect.stringContaining('may import only')])
  })

  it.each([
    ['services/x.ts', "import '../adapters/hive-paths.ts'\n"],
    ['transports/api/routers/x.ts', "import '../../../operations/operation.ts'\n"],
    ['main/x.ts', "import '../transports/admin-socket.ts'\n"],
    ['adapters/pty/x.ts', "import '../runtime/uid-range.ts'\n"],
  ])('lets %s import %s', async (file, code) => {
    expect(await lint(file, code)).toEqual([])
  })
})
