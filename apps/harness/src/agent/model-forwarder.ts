import { connect, createServer, type Server, type Socket } from 'node:net'

/**
 * Inside an isolated container: the only network is `lo`. This forwarder listens on the
 * container's own 127.0.0.1 and relays each connection, byte for byte, to the daemon's model
 * gateway socket (bound into /run/hive): `ANTHROPIC_BASE_URL` and `HTTPS_PROXY` point here.
 */
export async function startModelForwarder(port: number, gatewaySocket: string): Promise<Server> {
  const server = createServer((client: Socket) => {
    client.setNoDelay(true)
    const gateway = connect(gatewaySocket)
    client.pipe(gateway)
    gateway.pipe(client)
    const close = () => {
      client.destroy()
      gateway.destroy()
    }
    client.once('error', close)
    gateway.once('error', close)
    client.once('close', close)
    gateway.once('close', close)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return server
}
