import type { TRPCRouterRecord } from '@trpc/server'
import { z } from 'zod'
import type { SequencedEvent } from '../../../services/live-bus.ts'
import { operatorProcedure } from '../trpc.ts'

export const liveRouter = {
  /** Where the stream is now: take this with a snapshot, then apply only events after it. */
  seq: operatorProcedure.query(({ ctx }) => ({ seq: ctx.services.live.current })),

  /**
   * The daemon's live events in order. `after` resumes without gaps or repeats; when the gap is
   * no longer kept, the first item is `{resync: true}` and the client reloads its snapshot.
   */
  events: operatorProcedure
    .input(z.object({ after: z.number().int().min(0) }))
    .subscription(async function* ({ ctx, input, signal }) {
      const queue: SequencedEvent[] = []
      let wake: (() => void) | undefined
      // Subscribe before reading the backlog so nothing falls between the two.
      const unsubscribe = ctx.services.live.subscribe((e) => {
        queue.push(e)
        wake?.()
      })
      try {
        const backlog = ctx.services.live.since(input.after)
        let last = input.after
        if (backlog === undefined) {
          yield { seq: ctx.services.live.current, resync: true as const }
          last = ctx.services.live.current
        } else {
          for (const e of backlog) {
            yield { ...e, resync: false as const }
            last = e.seq
          }
        }
        while (!signal?.aborted) {
          const next = queue.shift()
          if (next) {
            if (next.seq > last) {
              last = next.seq
              yield { ...next, resync: false as const }
            }
            continue
          }
          await new Promise<void>((resolve) => {
            wake = resolve
            signal?.addEventListener('abort', () => resolve(), { once: true })
          })
          wake = undefined
        }
      } finally {
        unsubscribe()
      }
    }),
} satisfies TRPCRouterRecord
