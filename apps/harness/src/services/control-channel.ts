import type { ControlCommand } from '@hive/mcp'

/**
 * Per-agent queue of control commands, delivered to the turn loop's parked `control_wait` call
 * (the daemon cannot call into a container; the container keeps a call open instead).
 */
export class ControlChannel {
  private readonly queues = new Map<string, ControlCommand[]>()
  private readonly parked = new Map<string, () => void>()

  push(agent: string, command: ControlCommand): void {
    const queue = this.queues.get(agent) ?? []
    if (!queue.includes(command)) queue.push(command)
    this.queues.set(agent, queue)
    this.parked.get(agent)?.()
  }

  async wait(agent: string, waitMs: number, signal: AbortSignal): Promise<ControlCommand | null> {
    const take = () => this.queues.get(agent)?.shift() ?? null
    const ready = take()
    if (ready) return ready
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        if (this.parked.get(agent) === done) this.parked.delete(agent)
        resolve()
      }
      const timer = setTimeout(done, waitMs)
      signal.addEventListener('abort', done, { once: true })
      this.parked.set(agent, done)
    })
    return take()
  }

  clear(agent: string): void {
    this.queues.delete(agent)
  }
}
