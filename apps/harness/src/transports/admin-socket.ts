import { OPERATOR } from '@hive/mcp'
import type { RequestHandler } from '@hive/mcp/node'
import { adminOperations } from '../operations/admin-operations.ts'
import type { HiveServices } from '../operations/hive-services.ts'
import { dispatch } from '../operations/operation.ts'

/** The operator's socket (`run/host.sock`, 0600): whoever can open it is the operator. */
export function createAdminSocketHandler(services: HiveServices): RequestHandler {
  return (op, args, { signal }) => dispatch(adminOperations, services, op, args, { name: OPERATOR, role: 'operator', signal }, `unknown verb "${op}"`)
}
