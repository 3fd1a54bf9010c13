// Child process of gateway-bench: the daemon's model gateway and the in-container forwarder,
// relaying to the upstream given as argv[2]. Prints the forwarder's port when ready.
import { mkdtempSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../apps/harness/src/adapters/logger.ts'
import { startModelForwarder } from '../apps/harness/src/agent/model-forwarder.ts'
import { ModelGateway } from '../apps/harness/src/transports/gateway/model-gateway.ts'

const socket = join(mkdtempSync(join(tmpdir(), 'hive-gw-bench-')), 'gateway.sock')
const gateway = new ModelGateway({
  upstream: new URL(process.argv[2] ?? ''),
  credentials: { apiKey: 'sk-bench-operator' },
  egress: { allowed: () => [], host: { addresses: () => [] } },
  record: () => undefined,
  refused: () => undefined,
  log: createLogger('gateway-bench'),
})
await gateway.open('bench', socket)
const forwarder = await startModelForwarder(0, socket)
process.stdout.write(`${(forwarder.address() as AddressInfo).port}\n`)
