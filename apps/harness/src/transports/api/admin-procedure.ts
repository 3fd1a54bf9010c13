import type { z } from 'zod'
import { adminOps, OPERATOR, type AdminOp } from '@hive/mcp'
import { adminOperations } from '../../operations/admin-operations.ts'
import type { Caller } from '../../operations/operation.ts'
import { operatorProcedure } from './trpc.ts'

const operator = (signal: AbortSignal | undefined): Caller => ({ name: OPERATOR, role: 'operator', signal: signal ?? new AbortController().signal })

/** tRPC parsed the input with this very schema; TS cannot relate its inferred type to the generic K's. */
type Parsed<K extends AdminOp> = z.output<(typeof adminOps)[K]['input']>

/** A dashboard query that runs the operator operation of the same contract (input parsed once, by tRPC). */
export function adminQuery<K extends AdminOp>(op: K) {
  const operation = adminOperations[op]
  return operatorProcedure.input(adminOps[op].input).query(({ ctx, input, signal }) => operation.run(ctx.services, input as Parsed<K>, operator(signal)))
}

/** A dashboard mutation over an operator operation. */
export function adminMutation<K extends AdminOp>(op: K) {
  const operation = adminOperations[op]
  return operatorProcedure.input(adminOps[op].input).mutation(({ ctx, input, signal }) => operation.run(ctx.services, input as Parsed<K>, operator(signal)))
}
