import type { z } from 'zod'

/**
 * One request on a hive socket (or a tRPC procedure over the same operation): the arguments it
 * takes and the result it answers with. Both sides parse with these schemas, so a change to a
 * contract is a change in one place.
 */
export interface OpSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I
  output: O
}

export type OpTable = Record<string, OpSpec>

/** What a caller passes (defaults may be left out). */
export type OpInput<T extends OpTable, K extends keyof T> = z.input<T[K]['input']>
/** What a caller gets back, parsed. */
export type OpOutput<T extends OpTable, K extends keyof T> = z.output<T[K]['output']>

export function op<I extends z.ZodType, O extends z.ZodType>(input: I, output: O): OpSpec<I, O> {
  return { input, output }
}
