/**
 * An HTTP `retry-after` value as milliseconds from `now`: delay-seconds or an HTTP-date.
 * Anything else (absent, garbage, in the past) is undefined: the caller keeps its own backoff.
 */
export function parseRetryAfter(header: string | string[] | undefined, now: number): number | undefined {
  const value = [header].flat()[0]?.trim()
  if (!value) return undefined
  if (/^\d{1,9}$/.test(value)) return Number(value) * 1000
  const at = Date.parse(value)
  return Number.isFinite(at) && at > now ? at - now : undefined
}

/** Statuses whose `retry-after` means "the model is unavailable for this long". */
export const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503, 529])
