import { describe, expect, it } from 'vitest'
import { buildWakePrompt } from './wake-prompt.ts'

describe('buildWakePrompt', () => {
  it('names the sender, carries the body and the unread hint', () => {
    const p = buildWakePrompt({ from: 'manager', body: 'build it', redelivered: false }, 2)
    expect(p).toContain('Message from manager')
    expect(p).toContain('build it')
    expect(p).toContain('2 more unread')
    expect(p).not.toContain('redelivered')
  })

  it('flags redelivery, broadcasts and helper events', () => {
    expect(buildWakePrompt({ from: 'w', body: 'x', redelivered: true }, 0)).toContain('redelivered')
    expect(buildWakePrompt({ from: 'w', body: 'x', redelivered: false, broadcast: true }, 0)).toContain('broadcast')
    expect(buildWakePrompt({ from: 'system', body: '{"event":"spawned"}', redelivered: false }, 0)).toContain(
      'helper event',
    )
  })
})
