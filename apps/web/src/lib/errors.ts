/** The message of a failed call, as the daemon worded it. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
