import type { HiveError } from '@hive/mcp'

/** The error a socket call failed with (undefined if it succeeded), for asserting on messages. */
export const failure = (p: Promise<unknown>): Promise<HiveError | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => e as HiveError,
  )
