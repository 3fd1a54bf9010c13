import { describe, expect, it } from 'vitest'
import { AgentActivity } from './agent-activity.ts'
import { LiveBus } from './live-bus.ts'

describe('AgentActivity', () => {
  it('after a compaction, an agent waiting out an outage is back in that state with its retry time', () => {
    const activity = new AgentActivity(new LiveBus(), () => 1000)
    activity.set('worker', 'model-down', 61_000)
    activity.setCompacting('worker', true)
    expect(activity.of('worker')?.activity).toBe('compacting')
    activity.setCompacting('worker', false)
    expect(activity.of('worker')).toEqual({ activity: 'model-down', since: 1000, retryAt: 61_000 })
  })

  it('a loop that starts over ends a turn or compaction it had reported, but keeps a wait for the model', () => {
    const activity = new AgentActivity(new LiveBus())
    activity.set('a', 'thinking')
    activity.startedOver('a')
    expect(activity.of('a')?.activity).toBe('idle')

    activity.set('b', 'thinking')
    activity.setCompacting('b', true)
    activity.startedOver('b')
    expect(activity.of('b')?.activity).toBe('idle')
    // The compaction's end, arriving late, does not bring "thinking" back.
    activity.setCompacting('b', false)
    expect(activity.of('b')?.activity).toBe('idle')

    activity.set('c', 'rate-limited', 5000)
    activity.startedOver('c')
    expect(activity.of('c')).toMatchObject({ activity: 'rate-limited', retryAt: 5000 })
  })
})
