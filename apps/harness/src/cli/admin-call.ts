import { adminOps, JsonLinesClient, type AdminOp, type OpInput, type OpOutput } from '@hive/mcp'
import { env } from '../adapters/env.ts'
import { HivePaths } from '../adapters/hive-paths.ts'

/** One request on the admin socket of the daemon found through `$HIVE_HOME`, its answer parsed. */
export async function adminCall<K extends AdminOp>(op: K, args?: OpInput<typeof adminOps, K>): Promise<OpOutput<typeof adminOps, K>> {
  const client = await JsonLinesClient.connect(new HivePaths(env.HIVE_HOME).adminSocket, adminOps)
  try {
    return await client.call(op, args)
  } finally {
    client.close()
  }
}
