import type { z } from 'zod'
import { describeZodError } from './envelope.ts'
import { HiveError, HiveErrorCode } from './hive-error.ts'

/** Validates an operation's arguments; the error names each failing field (`send: args.to: …`). */
export function parseInput<S extends z.ZodType>(schema: S, op: string, args: unknown): z.output<S> {
  const parsed = schema.safeParse(args)
  if (!parsed.success) throw new HiveError(HiveErrorCode.BadRequest, `${op}: ${describeZodError(parsed.error, 'args')}`)
  return parsed.data
}
