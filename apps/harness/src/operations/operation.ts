import type { z } from 'zod'
import { isDatabaseBusy } from '@hive/db'
import { HiveError, HiveErrorCode, parseInput, type OpSpec, type OpTable } from '@hive/mcp'

/** Who is calling: fixed by the transport (the socket it came in on, the operator's session). */
export interface Caller {
  name: string
  role: 'operator' | 'agent' | 'manager'
  /** Aborted when the caller goes away, so parked calls (a long `recv`) stop waiting. */
  signal: AbortSignal
}

type Awaitable<T> = T | Promise<T>

/** An operation: its wire contract plus what it does. */
export interface Operation<S extends OpSpec, Deps> extends OpSpec<S['input'], S['output']> {
  run(deps: Deps, input: z.output<S['input']>, caller: Caller): Awaitable<z.input<S['output']>>
}

export type Operations<T extends OpTable, Deps> = { [K in keyof T]: Operation<T[K], Deps> }

/** Binds a contract table to its implementations; the compiler insists on one per operation. */
export function defineOperations<T extends OpTable, Deps>(
  specs: T,
  runs: { [K in keyof T]: Operation<T[K], Deps>['run'] },
): Operations<T, Deps> {
  return Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, { ...spec, run: runs[name] }])) as Operations<T, Deps>
}

/** The one path from a raw request to an operation: look it up, parse its input once, run it. */
export async function dispatch<T extends OpTable, Deps>(
  operations: Operations<T, Deps>,
  deps: Deps,
  op: string,
  args: unknown,
  caller: Caller,
  unknown = `unknown op "${op}"`,
): Promise<unknown> {
  if (!Object.hasOwn(operations, op)) throw new HiveError(HiveErrorCode.BadRequest, unknown)
  const operation = operations[op] as Operation<OpSpec, Deps>
  try {
    return await operation.run(deps, parseInput(operation.input, op, args), caller)
  } catch (e) {
    // A wait that ran out, not a bug: TIMEOUT (the turn loop then keeps the message's attempts untouched).
    if (isDatabaseBusy(e)) throw new HiveError(HiveErrorCode.Timeout, `${op}: the database stayed busy (another process holds it); try again`, { cause: e })
    throw e
  }
}
