import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { mcpToolNames } from '@hive/mcp'
import { nixEval, nixParseError, nixStr, nixUnavailable, nixValue, REPO_ROOT } from '../../../test/support/nix-instantiate.ts'
import { agentConfigSchema, effectiveModel } from '../../domain/agent-config.ts'
import { resolveToolGrant } from '../../domain/allowed-tools.ts'
import { blanketPatternReason } from '../../domain/bash-pattern.ts'
import { HivePaths } from '../hive-paths.ts'
import { renderLimitsDropIn } from './nixos-container-conf.ts'
import { nspawnFlags } from './nixos-container-runtime.ts'
import { UidRange } from './uid-range.ts'

const NIX_DIR = join(REPO_ROOT, 'nix')
const SAMPLES = join(NIX_DIR, 'tests', 'samples')
const INVALID = join(NIX_DIR, 'tests', 'invalid')
const HOME = '/var/lib/hive'
const BASE = UidRange.FIRST_BASE + 3 * UidRange.SIZE

const unavailable = nixUnavailable()
if (unavailable) console.warn(`⚠ SKIPPED: the Nix template tests need nix-instantiate — ${unavailable}`)

const jsonFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.json')).sort()

/** What nix/agent.nix's pure part gives for one agent.json. */
interface NixAgent {
  name: string
  role: string
  model: string
  tools: { builtins: string[]; allowed: string[] }
  bash: string[]
  egress: string[]
  limits: { memoryMB: number; pids: number; cpuWeight: number }
  packages: string[]
  notesCompactBytes: number
  turnTimeoutSeconds: number
  privateUsers: { base: number; size: number; ownership: string }
  binds: { hostPath: string; mountPoint: string; readOnly: boolean }[]
  nspawnFlags: string[]
  serviceLimits: { MemoryMax: string; TasksMax: number; CPUWeight: number }
}

const template = (args: string) => `(import ${nixStr(join(NIX_DIR, 'agent.nix'))}).fromFile { ${args} }`

/** The runtime's project bind: a checkout is bound at /project, the Nix package is in every store. */
const projectOf = (projectRoot: string) => (projectRoot.startsWith('/nix/store/') ? null : projectRoot)

describe.skipIf(unavailable !== null)('the Nix template (nix/agent.nix) and the TS side read agent.json alike', () => {
  it('parses every .nix file of the repo', () => {
    const files = [join(REPO_ROOT, 'flake.nix'), ...readdirSync(NIX_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.nix')).map((f) => join(NIX_DIR, f))]
    expect(files.map((f) => relative(REPO_ROOT, f))).toEqual(expect.arrayContaining(['flake.nix', 'nix/agent.nix', 'nix/module.nix', 'nix/package.nix']))
    expect(nixParseError(...files)).toBeNull()
  })

  it("passes the template's own checks (the flake's check)", () => {
    const passed = nixValue(`import ${nixStr(join(NIX_DIR, 'tests', 'agent-template.nix'))}`)
    expect(passed).toBeGreaterThanOrEqual(20 + jsonFiles(INVALID).length)
  })

  const cases = jsonFiles(SAMPLES).flatMap((file) =>
    (['alpha', 'manager'] as const).flatMap((name) =>
      [`/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hyperhive-0.1.0/lib/hyperhive`, '/srv/hyperhive-ts'].map((projectRoot) => ({ file, name, projectRoot })),
    ),
  )

  /** Every case in one nix-instantiate run (each run costs a few hundred ms). */
  let evaluated: NixAgent[] = []
  beforeAll(() => {
    const each = cases.map(({ file, name, projectRoot }) => {
      const project = projectRoot.startsWith('/nix/store/') ? 'null' : nixStr(projectRoot)
      return `(${template(`file = ${nixStr(join(SAMPLES, file))}; name = ${nixStr(name)}; uidBase = ${BASE}; home = ${nixStr(HOME)}; project = ${project};`)})`
    })
    evaluated = nixValue(`[ ${each.join(' ')} ]`) as NixAgent[]
  })

  it.each(cases.map((c, i) => ({ ...c, i })))('$file as $name ($projectRoot): model, tools, egress, limits, private users, binds and flags agree', ({ file, name, projectRoot, i }) => {
    const config = agentConfigSchema.parse(JSON.parse(readFileSync(join(SAMPLES, file), 'utf8')))
    const role = name === 'manager' ? ('manager' as const) : ('agent' as const)
    const nix = evaluated[i] as NixAgent
    expect(nix.name).toBe(name)

    expect(nix.role).toBe(role)
    expect(nix.model).toBe(effectiveModel(null, config))
    expect(nix.tools).toEqual(resolveToolGrant(config.bash, mcpToolNames(role)))
    expect(nix.bash).toEqual(config.bash)
    expect(nix.egress).toEqual(config.egress)
    expect(nix.limits).toEqual(config.limits)
    expect(nix.packages).toEqual(config.packages ?? [])
    expect(nix.notesCompactBytes).toBe(config.notesCompactBytes)
    expect(nix.turnTimeoutSeconds).toBe(config.turnTimeoutSeconds)
    expect(nix.privateUsers).toEqual({ base: BASE, size: UidRange.SIZE, ownership: 'chown' })

    const launch = { name, role, uidBase: BASE, configOwnerUid: null }
    expect(nix.nspawnFlags).toEqual(nspawnFlags(new HivePaths(HOME), projectOf(projectRoot), launch, BASE, config.limits))
    const dropIn = renderLimitsDropIn(config.limits)
    for (const [key, value] of Object.entries(nix.serviceLimits)) expect(dropIn).toContain(`\n${key}=${String(value)}\n`)
  })

  it.each(jsonFiles(INVALID))('refuses invalid/%s on both sides, naming the same field', (file) => {
    const parsed = agentConfigSchema.safeParse(JSON.parse(readFileSync(join(INVALID, file), 'utf8')))
    expect(parsed.success).toBe(false)
    const issue = parsed.error?.issues[0]
    const field = issue?.path.join('.') ?? ''
    const nix = nixEval(template(`file = ${nixStr(join(INVALID, file))}; name = "alpha"; uidBase = ${BASE};`))
    expect(nix.ok).toBe(false)
    const error = nix.ok ? '' : nix.error
    expect(error).toMatch(field === '' ? /^agent\.json: unknown key "/ : new RegExp(`^agent\\.json: ${field.replace(/\./g, '\\.')}: `))
    // Custom messages (bash patterns, egress, model, packages) are the same words on both sides.
    if (issue && !/^(Too|Invalid|Unrecognized|Expected)/.test(issue.message)) expect(error).toBe(`agent.json: ${field}: ${issue.message}`)
  })

  it('names the field and the rule when memoryMB is too small', () => {
    const nix = nixEval(template(`file = ${nixStr(join(INVALID, 'memory-too-small.json'))}; name = "alpha"; uidBase = ${BASE};`))
    expect(nix).toEqual({ ok: false, error: 'agent.json: limits.memoryMB: must be an integer from 64 to 1048576 (got 1)' })
  })

  it('judges Bash allow-list patterns exactly as bash-pattern.ts does', () => {
    const patterns = [
      ...['git status', 'git log *', 'git diff:*', 'git', 'ls', 'ls -la *', 'npm test', 'npm run build', 'cat /state/*.md', 'LANG=C git status', 'ls\n', '  git status  ', 'make -j4'],
      ...['*', '**', '*:*', ':*', ' * ', '* status', '*git', 'FOO=1 *', 'g* status', 'LD_PRELOAD=* ls'],
      ...['sh *', 'bash -c *', '/bin/sh -c *', 'dash', 'ksh93 *', 'busybox sh', 'env FOO=1 ls', 'sudo ls', '.', './x', 'source x', 'X=1 sh *', '"sh" -c *', "'bash'"],
      ...['python3 -c *', '/usr/bin/python3.11 *', 'node -e *', 'awk *', 'find . -name *', 'sed *', 'npx *', 'vim *', 'ssh *', 'timeout 5 *', 'stdbuf -o0 *'],
      ...['git -C /agents/*', 'git *', 'git:*', 'git -c alias.x=!sh x', 'git s*', '/usr/bin/git --git-dir=* log', 'npm exec *', 'npm x', 'npm *', 'pnpm dlx foo', 'yarn exec x', 'yarn install'],
      ...['cat /agents/../*', 'ls ..', 'ls; *', 'ls && *', 'ls | *', 'echo $(*)', 'echo `*`', 'a\rb', '123', '9.9', 'python', 'python3'],
    ]
    const nix = nixValue(`map (import ${nixStr(join(NIX_DIR, 'bash-pattern.nix'))}).blanketReason (builtins.fromJSON ${nixStr(JSON.stringify(patterns))})`) as (string | null)[]
    expect(nix).toEqual(patterns.map((p) => blanketPatternReason(p) ?? null))
  })
})
