/** Runs tasks one at a time in call order (a turn and a compaction; two spawns racing for a uid range). */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task)
    this.tail = result.catch(() => undefined)
    return result
  }
}
