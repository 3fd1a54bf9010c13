import { describe, expect, it } from 'vitest'
import { agentNameSchema, messageBodySchema, recipientSchema } from './names.ts'
import { Limits } from './limits.ts'

describe('agent names', () => {
  it.each(['manager', 'worker', 'a', 'w-2', 'a'.repeat(31)])('accepts %s', (name) => {
    expect(agentNameSchema.safeParse(name).success).toBe(true)
  })

  it.each([
    ['../x', 'must match'],
    ['Operator', 'must match'],
    ['a'.repeat(40), 'longer than 31'],
    ['', 'empty'],
    ['operator', 'reserved'],
    ['system', 'reserved'],
    ['self', 'reserved'],
    ['9lives', 'must match'],
    ['with space', 'must match'],
  ])('refuses %j with a message about it', (name, fragment) => {
    const parsed = agentNameSchema.safeParse(name)
    expect(parsed.success).toBe(false)
    expect(parsed.error?.issues.map((i) => i.message).join(' ')).toContain(fragment)
  })
})

describe('recipients and bodies', () => {
  it('takes agents, operator and the broadcast star', () => {
    for (const to of ['worker', 'operator', '*']) expect(recipientSchema.safeParse(to).success).toBe(true)
    expect(recipientSchema.safeParse('system').success).toBe(false)
  })

  it('bounds bodies in UTF-8 bytes, not characters', () => {
    expect(messageBodySchema.safeParse('x'.repeat(Limits.MAX_BODY_BYTES)).success).toBe(true)
    expect(messageBodySchema.safeParse('x'.repeat(Limits.MAX_BODY_BYTES + 1)).success).toBe(false)
    // 'é' is two bytes: half as many fit.
    expect(messageBodySchema.safeParse('é'.repeat(Limits.MAX_BODY_BYTES / 2 + 1)).success).toBe(false)
    expect(messageBodySchema.safeParse('').success).toBe(false)
  })
})
