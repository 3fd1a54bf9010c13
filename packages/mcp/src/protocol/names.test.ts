import { describe, expect, it } from 'vitest'
import { agentNameSchema, messageBodySchema, modelNameSchema, recipientSchema } from './names.ts'
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

describe('model names', () => {
  it.each(['haiku', 'sonnet', 'opus[1m]', 'claude-sonnet-4-5', 'claude-opus-4-1-20250805', 'claude-3-5-haiku@20241022', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'org/model_v2', 'm'.repeat(128)])(
    'accepts %s',
    (model) => {
      expect(modelNameSchema.safeParse(model).success).toBe(true)
    },
  )

  it.each([
    ['bad model!', 'only letters, digits'],
    ['sonnet; rm -rf /', 'only letters, digits'],
    ['$(id)', 'only letters, digits'],
    ['`id`', 'only letters, digits'],
    ['haiku\n', 'only letters, digits'],
    ['-haiku', 'start with a letter or digit'],
    ['"sonnet"', 'only letters, digits'],
    ['', 'empty'],
    ['m'.repeat(129), 'longer than 128'],
  ])('refuses %j with a message about it', (model, fragment) => {
    const parsed = modelNameSchema.safeParse(model)
    expect(parsed.success).toBe(false)
    expect(parsed.error?.issues.map((i) => i.message).join(' ')).toContain(fragment)
  })
})
