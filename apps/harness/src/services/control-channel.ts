import type { ControlMessage } from '@hive/mcp'

/**
 * Per-agent queue of control messages (operator commands, terminals to open), delivered to the
 * turn loop's parked `control_wait` call (the daemon cannot call into a container; the
 * container keeps a call open instead).
 */
export class ControlChannel {
  private readonly queues = new Map<string, ControlMessage[]>()
  private readonly parked = new Map<string, () => void>()

  /** Queues `message` (a command already queued is not queued twice); returns its withdrawal. */
  push(agent: string, message: ControlMessage): () => void {
    const queue = this.queues.get(agent) ?? []
    const duplicate = message.command !== 'open_terminal' && queue.some((m) => m.command === message.command)
    if (!duplicate) queue.push(message)
    this.queues.set(agent, queue)
    this.parked.get(agent)?.()
    return () => {
      const current = this.queues.get(agent)
      const at = current?.indexOf(message) ?? -1
      if (current && at >= 0) current.splice(at, 1)
    }
  }

  async wait(agent: string, waitMs: number, signal: AbortSignal): Promise<ControlMessage | null> {
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
