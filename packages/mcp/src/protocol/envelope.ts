import * as z from 'zod'
import { HiveErrorCode } from './hive-error.ts'

/**
 * One JSON object per line in both directions. Requests carry a caller-chosen `id` so that a
 * long `recv` and other calls can share one connection; responses echo it.
 */
export const requestEnvelopeSchema = z.object({
  id: z.number().int().nonnegative(),
  op: z.string().min(1).max(64),
  args: z.record(z.string(), z.unknown()).optional(),
})

const errorBodySchema = z.object({
  code: z.enum(Object.values(HiveErrorCode) as [HiveErrorCode, ...HiveErrorCode[]]),
  message: z.string(),
})

export const responseEnvelopeSchema = z.discriminatedUnion('ok', [
  z.object({ id: z.number().int().nullable(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.number().int().nullable(), ok: z.literal(false), error: errorBodySchema }),
])
export type ResponseEnvelope = z.infer<typeof responseEnvelopeSchema>

/** "args.to: recipient must be …; args.body: body is empty" — names every failing field. */
export function describeZodError(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.')
      return path ? `${path}: ${issue.message}` : issue.message
    })
    .join('; ')
}
