import { TRPCError, initTRPC, type TRPC_ERROR_CODE_KEY } from '@trpc/server'
import { HiveErrorCode, isHiveError } from '@hive/mcp'
import { ZodError } from 'zod'
import type { ApiContext } from './context.ts'

const TRPC_CODE: Record<HiveErrorCode, TRPC_ERROR_CODE_KEY> = {
  [HiveErrorCode.BadRequest]: 'BAD_REQUEST',
  [HiveErrorCode.NotFound]: 'NOT_FOUND',
  [HiveErrorCode.Conflict]: 'CONFLICT',
  [HiveErrorCode.Forbidden]: 'FORBIDDEN',
  [HiveErrorCode.PreconditionFailed]: 'PRECONDITION_FAILED',
  [HiveErrorCode.NotImplemented]: 'NOT_IMPLEMENTED',
  [HiveErrorCode.Timeout]: 'TIMEOUT',
  [HiveErrorCode.Internal]: 'INTERNAL_SERVER_ERROR',
}

const t = initTRPC.context<ApiContext>().create({
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof ZodError ? error.cause.flatten() : null
    // No stack trace ever leaves the daemon (tRPC adds one outside NODE_ENV=production); the log keeps it.
    const data = { ...shape.data, zodError }
    delete data.stack
    return { ...shape, data }
  },
})

/** Domain errors (HiveError) become tRPC errors with the matching code and the same message. */
const hiveErrors = t.middleware(async ({ next }) => {
  const result = await next()
  if (!result.ok && isHiveError(result.error.cause)) {
    const cause = result.error.cause
    throw new TRPCError({ code: TRPC_CODE[cause.code], message: cause.message, cause })
  }
  return result
})

export const router = t.router
/** Every procedure is an operator procedure: the HTTP layer refuses unauthenticated requests. */
export const operatorProcedure = t.procedure.use(hiveErrors)
