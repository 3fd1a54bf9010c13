import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { JsonLinesClient } from '../json-lines/json-lines-client.ts'
import type { managerSurface } from '../protocol/agent-ops.ts'
import { isHiveError } from '../protocol/hive-error.ts'

/** The agent's socket as the tools see it (an agent calling a manager op is refused by the daemon). */
export type HiveCall = JsonLinesClient<typeof managerSurface>['call']

/** Relays one socket call for a tool; expected failures become `isError` results, bugs throw. */
export async function relay<R>(request: () => Promise<R>, render: (result: R) => string): Promise<CallToolResult> {
  try {
    const result = await request()
    return { content: [{ type: 'text', text: render(result) }] }
  } catch (e) {
    if (!isHiveError(e)) throw e
    return { content: [{ type: 'text', text: `error (${e.code}): ${e.message}` }], isError: true }
  }
}
