import { describe, expect, it } from 'vitest'
import type { TerminalRequest } from '@hive/mcp'
import { ControlChannel } from './control-channel.ts'

const never = new AbortController().signal

function terminal(id: string): TerminalRequest {
  return { id, token: 't'.repeat(43), kind: 'shell', cols: 80, rows: 24 }
}

describe('ControlChannel', () => {
  it('queues an operator command once, every terminal request, in order', async () => {
    const control = new ControlChannel()
    control.push('worker', { command: 'cancel' })
    control.push('worker', { command: 'open_terminal', terminal: terminal('a') })
    control.push('worker', { command: 'cancel' })
    control.push('worker', { command: 'open_terminal', terminal: terminal('b') })
    const got = [await control.wait('worker', 0, never), await control.wait('worker', 0, never), await control.wait('worker', 0, never)]
    expect(got).toEqual([
      { command: 'cancel' },
      { command: 'open_terminal', terminal: terminal('a') },
      { command: 'open_terminal', terminal: terminal('b') },
    ])
    expect(await control.wait('worker', 0, never)).toBeNull()
  })

  it('wakes a parked wait, and a withdrawn request is never handed out', async () => {
    const control = new ControlChannel()
    const withdraw = control.push('worker', { command: 'open_terminal', terminal: terminal('stale') })
    withdraw()
    const parked = control.wait('worker', 60_000, never)
    control.push('worker', { command: 'open_terminal', terminal: terminal('fresh') })
    expect(await parked).toEqual({ command: 'open_terminal', terminal: terminal('fresh') })
    withdraw() // after delivery: nothing left to take back
    expect(await control.wait('worker', 0, never)).toBeNull()
  })
})
