import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { isHiveError } from '../protocol/hive-error.ts'

/** Relays one socket call for a tool; expected failures become `isError` results, bugs throw. */
export type SocketCall = (op: string, args: Record<string, unknown>) => Promise<unknown>

export async function relay(
  call: SocketCall,
  op: string,
  args: Record<string, unknown>,
  render: (result: unknown) => string,
): Promise<CallToolResult> {
  try {
    const result = await call(op, args)
    return { content: [{ type: 'text', text: render(result) }] }
  } catch (e) {
    if (!isHiveError(e)) throw e
    return { content: [{ type: 'text', text: `error (${e.code}): ${e.message}` }], isError: true }
  }
}

/** Drops undefined fields so that optional tool arguments are not sent as explicit nulls. */
export function defined(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined))
}
