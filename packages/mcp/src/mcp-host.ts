import { chmodSync, rmSync } from 'node:fs'
import { createServer as createSocketServer, type Socket } from 'node:net'
import type { StdioServerOptions } from './stdio.ts'

export interface McpHost {
  close(): void
}

/**
 * The `hyperhive` MCP server hosted by the long-lived `hive-agent serve`: claude starts
 * `hive-agent mcp --relay <path>` on every turn, a few lines of Node that only pipe stdio to this
 * socket, instead of loading the MCP SDK and its schemas each time. Each connection is one MCP
 * session with its own connection to the agent's socket, as a stdio server process had.
 */
export async function hostMcpServer(
  listenPath: string,
  options: StdioServerOptions,
  onError: (err: unknown) => void,
  /** The server's code could not be loaded (a rebuild replaced it under a running serve): serve must restart. */
  onUnloadable: (err: unknown) => void,
): Promise<McpHost> {
  const sessions = new Set<Socket>()
  const server = createSocketServer((socket) => {
    sessions.add(socket)
    socket.once('close', () => sessions.delete(socket))
    socket.on('error', onError)
    // The SDK loads with the first session (the first turn), not with an idle agent.
    import('./stdio.ts').then(
      ({ serveMcpSession }) =>
        serveMcpSession(socket, socket, options, () => socket.end()).catch((err: unknown) => {
          onError(err)
          socket.destroy()
        }),
      (err: unknown) => {
        socket.destroy()
        onUnloadable(err)
      },
    )
  })
  rmSync(listenPath, { force: true }) // a previous serve's
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(listenPath, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // Only this container's processes (and the agent's own uid) reach it, as they reach mcp.sock.
  chmodSync(listenPath, 0o600)
  server.on('error', onError)
  return {
    close() {
      server.close()
      for (const socket of sessions) socket.destroy()
      rmSync(listenPath, { force: true })
    },
  }
}
