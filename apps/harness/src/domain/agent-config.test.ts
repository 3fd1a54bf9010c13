import { describe, expect, it } from 'vitest'
import { agentConfigSchema, ContainerLimits } from './agent-config.ts'

describe('agent.json', () => {
  it('defaults egress to nothing and limits to the container defaults', () => {
    expect(agentConfigSchema.parse({})).toMatchObject({
      egress: [],
      limits: { memoryMB: ContainerLimits.MEMORY_MB, pids: ContainerLimits.PIDS, cpuWeight: ContainerLimits.CPU_WEIGHT },
    })
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
  ])('refuses %j naming the field', (input, fragment) => {
    const parsed = agentConfigSchema.safeParse(input)
    expect(parsed.success).toBe(false)
    const text = parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
    expect(text).toContain(fragment)
  })
})
