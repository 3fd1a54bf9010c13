import { JsonLinesClient } from '@hive/mcp'
import { env } from '../env.ts'
import { HivePaths } from '../node/hive-paths.ts'

/** One request on the admin socket of the daemon found through `$HIVE_HOME`. */
export async function adminCall(op: string, args: Record<string, unknown> = {}): Promise<unknown> {
  const client = await JsonLinesClient.connect(new HivePaths(env.HIVE_HOME).adminSocket)
  try {
    return await client.call(op, args)
  } finally {
    client.close()
  }
}
