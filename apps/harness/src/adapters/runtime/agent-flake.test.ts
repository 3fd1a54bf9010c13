import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { mcpToolNames } from '@hive/mcp'
import { nixParseError, nixStr, nixUnavailable, nixValue, REPO_ROOT } from '../../../test/support/nix-instantiate.ts'
import { agentConfigSchema, effectiveModel } from '../../domain/agent-config.ts'
import { resolveToolGrant } from '../../domain/allowed-tools.ts'
import { nixSystem, renderAgentFlake, TEMPLATE_FILES, writeAgentFlake, type AgentFlakeSpec } from './agent-flake.ts'
import { ContainerName, containerName } from './nixos-container-name.ts'
import { UidRange } from './uid-range.ts'

const TEMPLATE_DIR = join(REPO_ROOT, 'nix')
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function spec(overrides: Partial<AgentFlakeSpec> = {}): AgentFlakeSpec {
  return {
    name: 'alpha',
    role: 'agent',
    containerName: containerName('alpha'),
    uidBase: UidRange.FIRST_BASE,
    home: '/var/lib/hive',
    project: null,
    launch: {
      command: ['/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nodejs-22/bin/node', '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hyperhive/lib/hyperhive/apps/harness/bin/hive-agent.mjs', 'serve'],
      environment: { HIVE_SOCKET: '/run/hive/mcp.sock', LOG_LEVEL: 'info', HOME: '/root' },
    },
    nixpkgs: '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-source',
    system: 'x86_64-linux',
    ...overrides,
  }
}

/** An applied repo holding `config` as its agent.json. */
function appliedDir(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'hive-flake-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'agent.json'), JSON.stringify(config, null, 2) + '\n')
  return dir
}

describe('nixos-container names', () => {
  it('keeps a short name readable: h-<name>', () => {
    expect(containerName('alpha')).toBe('h-alpha')
    expect(containerName('manager')).toBe('h-manager')
    expect(containerName('abcdefghi')).toBe('h-abcdefghi')
  })

  it('maps every agent name into 11 characters nixos-container accepts, the same way every time', () => {
    const names = ['a', 'abcdefghij', 'a-very-long-agent-name-of-31-ch', 'research-assistant', 'x'.repeat(31)]
    for (const name of names) {
      const mapped = containerName(name)
      expect(mapped.length).toBeLessThanOrEqual(ContainerName.MAX_CHARS)
      expect(mapped).toMatch(/^[a-z0-9][a-z0-9-]*$/)
      expect(containerName(name)).toBe(mapped)
    }
    // Pinned (the first 50 bits of SHA-256("research-assistant"), RFC 4648 base32 in lowercase):
    // a daemon after an upgrade must find the containers an older one made.
    expect(containerName('research-assistant')).toBe('h2ewvevao2j')
    expect(containerName('abcdefghij')).toMatch(/^h[a-z2-7]{10}$/)
  })

  it('gives no two agent names the same container', () => {
    const letters = 'abcdefghijklmnopqrstuvwxyz0123456789-'
    const names = new Set<string>()
    // Every name of up to two characters, and 100 000 of 10 to 31 (the hashed form).
    for (const a of letters.slice(0, 26)) {
      names.add(a)
      for (const b of letters) names.add(a + b)
    }
    for (let i = 0; i < 100_000; i++) names.add(`agent-${i.toString(36)}-${'x'.repeat(i % 20)}`.padEnd(10, 'q'))
    const containers = new Set([...names].map(containerName))
    expect(containers.size).toBe(names.size)
    // The two forms cannot meet: a short one has '-' second, a hashed one never does.
    expect([...containers].filter((c) => c.length > 2 && c[1] === '-').every((c) => c.startsWith('h-'))).toBe(true)
  })
})

describe('the generated agent flake', () => {
  it('is reproducible: the same agent.json and host give byte-identical files and digest', () => {
    const config = { model: 'sonnet', bash: ['git status'], limits: { memoryMB: 512 } }
    const [a, b] = [appliedDir(config), appliedDir(config)]
    const digestA = writeAgentFlake(a, spec(), TEMPLATE_DIR)
    // The environment's key order must not matter (it comes from an object).
    const reordered = spec({ launch: { ...spec().launch, environment: { HOME: '/root', LOG_LEVEL: 'info', HIVE_SOCKET: '/run/hive/mcp.sock' } } })
    const digestB = writeAgentFlake(b, reordered, TEMPLATE_DIR)
    expect(digestB).toBe(digestA)
    for (const file of ['flake.nix', ...TEMPLATE_FILES.map((f) => `nix/${f}`)]) {
      expect(readFileSync(join(b, file))).toEqual(readFileSync(join(a, file)))
    }
    expect(renderAgentFlake(spec())).toBe(renderAgentFlake(spec()))
  })

  it('changes its digest, not its flake, when only agent.json changes; a stray flake.lock goes', () => {
    const dir = appliedDir({ model: 'sonnet' })
    const before = writeAgentFlake(dir, spec(), TEMPLATE_DIR)
    const flake = readFileSync(join(dir, 'flake.nix'), 'utf8')
    writeFileSync(join(dir, 'agent.json'), JSON.stringify({ model: 'opus' }))
    writeFileSync(join(dir, 'flake.lock'), '{"nodes":{}}')
    const after = writeAgentFlake(dir, spec(), TEMPLATE_DIR)
    expect(after).not.toBe(before)
    expect(readFileSync(join(dir, 'flake.nix'), 'utf8')).toBe(flake)
    expect(() => readFileSync(join(dir, 'flake.lock'))).toThrow(/ENOENT/)
  })

  it('refuses a control character rather than write it into Nix', () => {
    expect(() => renderAgentFlake(spec({ launch: { command: ['x'], environment: { A: 'bell\u0007' } } }))).toThrow(/control character/)
  })

  it('knows the Nix system of this host', () => {
    expect(nixSystem('x64')).toBe('x86_64-linux')
    expect(nixSystem('arm64')).toBe('aarch64-linux')
    expect(() => nixSystem('mips')).toThrow(/no Nix system/)
  })
})

const unavailable = nixUnavailable()
if (unavailable) console.warn(`⚠ SKIPPED: evaluating generated agent flakes needs nix-instantiate — ${unavailable}`)

describe.skipIf(unavailable !== null)('the generated agent flake under nix-instantiate', () => {
  /** The flake's outputs with a nixpkgs that must not be touched: only agent.json-derived data is forced. */
  const outputs = (dir: string) =>
    `((import ${nixStr(join(dir, 'flake.nix'))}).outputs { self = { }; nixpkgs = { lib.nixosSystem = _: throw "nixpkgs is not needed for the agent's data"; }; })`

  it.each([
    ['alpha', 'agent', { model: 'claude-opus-4-1-20250805', bash: ['npm test', 'git log *'], egress: ['registry.npmjs.org:443'], limits: { memoryMB: 256, pids: 64 }, packages: ['ripgrep'] }],
    ['manager', 'manager', {}],
    ['a-very-long-agent-name', 'agent', { turnTimeoutSeconds: 60 }],
  ] as const)('parses, and its attributes from agent.json evaluate (%s)', (name, role, config) => {
    const dir = appliedDir(config)
    const container = containerName(name)
    const environment = { HIVE_SOCKET: '/run/hive/mcp.sock', TRICKY: 'a "quoted" ${not-interpolated} \\ value\nline two' }
    writeAgentFlake(dir, spec({ name, role, containerName: container, uidBase: UidRange.FIRST_BASE + UidRange.SIZE, launch: { command: ['/bin/node', 'serve'], environment } }), TEMPLATE_DIR)
    expect(nixParseError(join(dir, 'flake.nix'))).toBeNull()

    const parsed = agentConfigSchema.parse(config)
    const hive = nixValue(`${outputs(dir)}.hive`) as Record<string, unknown>
    expect(hive).toMatchObject({
      name,
      role,
      containerName: container,
      model: effectiveModel(null, parsed),
      tools: resolveToolGrant(parsed.bash, mcpToolNames(role)),
      egress: parsed.egress,
      limits: parsed.limits,
      packages: parsed.packages ?? [],
      turnTimeoutSeconds: parsed.turnTimeoutSeconds,
      privateUsers: { base: UidRange.FIRST_BASE + UidRange.SIZE, size: UidRange.SIZE, ownership: 'chown' },
      launch: { command: ['/bin/node', 'serve'], environment },
    })
    // nixos-container builds `container` by default, and the container's own name when asked.
    expect(nixValue(`builtins.attrNames ${outputs(dir)}.nixosConfigurations`)).toEqual([container, 'container'].sort())
  })

  it('stops evaluation naming the field when the applied agent.json is invalid', () => {
    const dir = appliedDir({ limits: { memoryMB: 16 } })
    mkdirSync(join(dir, 'nix'), { recursive: true })
    writeAgentFlake(dir, spec(), TEMPLATE_DIR)
    expect(() => nixValue(`${outputs(dir)}.hive`)).toThrow('agent.json: limits.memoryMB: must be an integer from 64 to 1048576 (got 16)')
  })
})
