import type { StoredMessage } from '@hive/db'
import { BROADCAST, HiveError, HiveErrorCode, OPERATOR } from '@hive/mcp'
import type { AgentDirectory } from './agent-directory.ts'
import type { Broker } from './broker.ts'

/** Who may message whom: the rules of `send`, for agents and the operator alike. */
export class Messaging {
  constructor(
    private readonly broker: Broker,
    private readonly directory: Pick<AgentDirectory, 'list' | 'live'>,
  ) {}

  /** Resolves `to` against live agents; nothing is written unless every recipient is valid. */
  async send(from: string, to: string, body: string): Promise<StoredMessage[]> {
    if (to === OPERATOR) {
      if (from === OPERATOR) throw new HiveError(HiveErrorCode.BadRequest, 'args.to: the operator cannot message itself')
      return this.broker.send(from, [OPERATOR], body)
    }
    if (to === BROADCAST) {
      const recipients = (await this.directory.list()).map((a) => a.name).filter((n) => n !== from)
      if (recipients.length === 0) throw new HiveError(HiveErrorCode.PreconditionFailed, 'no other live agent to broadcast to')
      return this.broker.send(from, recipients, body, true)
    }
    await this.directory.live(to, 'recipient')
    return this.broker.send(from, [to], body)
  }
}
