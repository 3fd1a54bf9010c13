import type { TRPCRouterRecord } from '@trpc/server'
import * as z from 'zod'
import { operatorProcedure } from '../trpc.ts'

export const liveRouter = {
  /** Where the stream is now: take this with a snapshot, then apply only events after it. */
  seq: operatorProcedure.query(({ ctx }) => ({ seq: ctx.services.live.current })),

  /**
   * The daemon's live events in order. `after` resumes without gaps or repeats; when the gap is
   * no longer kept, or this connection fell too far behind (a stalled tab), an item is
   * `{resync: true}` and the client reloads its snapshot.
   */
  events: operatorProcedure
    .input(z.object({ after: z.number().int().min(0) }))
    .subscription(async function* ({ ctx, input, signal }) {
      yield* ctx.services.live.follow(input.after, signal)
    }),
} satisfies TRPCRouterRecord
