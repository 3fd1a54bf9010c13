import { describe, expect, it } from 'vitest'
import { agentConfigSchema, ContainerLimits, defaultAgentConfig } from './agent-config.ts'

const bashIssues = (bash: string[]) => {
  const parsed = agentConfigSchema.safeParse({ bash })
  return parsed.success ? '' : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
}

describe('agent.json', () => {
  it('defaults egress to nothing and limits to the container defaults', () => {
    expect(agentConfigSchema.parse({})).toMatchObject({
      egress: [],
      limits: { memoryMB: ContainerLimits.MEMORY_MB, pids: ContainerLimits.PIDS, cpuWeight: ContainerLimits.CPU_WEIGHT },
    })
  })

  it.each(['sonnet', 'opus[1m]', 'claude-opus-4-1-20250805'])('takes model %j', (model) => {
    expect(agentConfigSchema.parse({ model }).model).toBe(model)
  })

  it('takes host:port egress entries and partial limits', () => {
    const config = agentConfigSchema.parse({ egress: ['registry.npmjs.org:443', '10.0.0.1:80', '[::1]:8080'], limits: { memoryMB: 256 } })
    expect(config.egress).toHaveLength(3)
    expect(config.limits).toEqual({ memoryMB: 256, pids: ContainerLimits.PIDS, cpuWeight: ContainerLimits.CPU_WEIGHT })
  })

  it.each([
    [{ egress: ['https://example.com'] }, 'egress.0'],
    [{ egress: ['example.com'] }, 'egress.0'],
    [{ egress: ['example.com:0'] }, 'egress port'],
    [{ egress: ['example.com:70000'] }, 'egress port'],
    [{ limits: { memoryMB: 1 } }, 'limits.memoryMB'],
    [{ limits: { pids: 1.5 } }, 'limits.pids'],
    [{ limits: { swap: 1 } }, 'limits'],
    [{ model: 'bad model!' }, 'model: model name must start with a letter or digit and contain only'],
    [{ model: 'sonnet && curl evil' }, 'model: '],
    [{ model: '' }, 'model: model name is empty'],
  ])('refuses %j naming the field', (input, fragment) => {
    const parsed = agentConfigSchema.safeParse(input)
    expect(parsed.success).toBe(false)
    const text = parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
    expect(text).toContain(fragment)
  })
})

describe('agent.json bash patterns', () => {
  it('keeps the message for a lone *', () => {
    expect(bashIssues(['*'])).toBe('bash.0: bash pattern "*" would allow every command')
  })

  it.each(['**', '*:*', ':*', ' * ', '* status', '*git', 'FOO=1 *', 'g* status'])('refuses %j as every command, naming the field', (pattern) => {
    expect(bashIssues(['git status', pattern])).toMatch(/^bash\.1: bash pattern ".*" would allow every command/)
  })

  it.each([
    'sh *', 'bash -c *', '/bin/sh -c *', 'dash', 'zsh *', 'ksh93 *', 'fish *', 'busybox sh', 'env *', 'env FOO=1 ls', 'sudo ls', 'su -c *', 'doas *',
    'xargs *', 'exec *', 'eval *', 'command *', 'builtin *', 'nohup *', 'timeout 5 *', 'nice *', 'ionice *', 'setsid *', 'stdbuf -o0 *',
    'chroot *', 'nsenter *', 'unshare *', 'script -c *', 'watch *', 'time *', 'strace *', 'python *', 'python3 -c *', '/usr/bin/python3.11 *',
    'node -e *', 'perl *', 'ruby *', 'php *', 'lua *', 'awk *', 'gawk *', 'mawk *', 'find . -name *', 'sed *', 'npx *', 'vim *', 'ssh *',
    'X=1 sh *', '"sh" -c *',
  ])('refuses %j, whose command runs any command', (pattern) => {
    expect(bashIssues([pattern])).toMatch(/^bash\.0: bash pattern ".*" runs \S+, which runs any command/)
  })

  it.each([
    ['git -C /agents/*', 'literal subcommand'],
    ['git *', 'literal subcommand'],
    ['git:*', 'literal subcommand'],
    ['git -c alias.x=!sh x', 'literal subcommand'],
    ['git s*', 'literal subcommand'],
    ['/usr/bin/git --git-dir=* log', 'literal subcommand'],
    ['npm exec *', 'npm exec runs any command'],
    ['npm *', 'literal subcommand'],
    ['cat /agents/../*', 'may not contain ".."'],
    ['ls ..', 'may not contain ".."'],
    ['ls; *', 'control operators'],
    ['ls && *', 'control operators'],
    ['ls | *', 'control operators'],
    ['echo $(*)', 'may not contain ( or )'],
    ['echo `*`', 'control operators'],
    ['LD_PRELOAD=* ls', 'environment assignment'],
  ])('refuses %j (%s)', (pattern, fragment) => {
    const issues = bashIssues([pattern])
    expect(issues).toMatch(/^bash\.0: /)
    expect(issues).toContain(fragment)
  })

  it.each(['git status', 'git log *', 'git diff:*', 'git', 'ls', 'ls -la *', 'npm test', 'npm run build', 'cat /state/*.md', 'LANG=C git status'])(
    'accepts the narrow pattern %j',
    (pattern) => {
      expect(bashIssues([pattern])).toBe('')
    },
  )

  it('gives the manager no Bash by default', () => {
    expect(defaultAgentConfig(undefined, 'manager').bash).toEqual([])
    expect(defaultAgentConfig(undefined, 'agent').bash).toEqual([])
  })
})
