import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hostMcpServer, type McpHost } from './mcp-host.ts'

/** A stand-in agent socket that answers `whoami` after `delayMs` and counts open connections. */
function agentSocket(path: string, delayMs: number): Promise<{ server: Server; open: () => number }> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    socket.setEncoding('utf8').on('data', (line: string) => {
      const { id } = JSON.parse(line.trim().split('\n')[0] ?? '{}') as { id: number }
      setTimeout(() => socket.writable && socket.write(JSON.stringify({ id, ok: true, result: { name: 'worker', role: 'agent' } }) + '\n'), delayMs)
    })
  })
  return new Promise((resolve) => server.listen(path, () => resolve({ server, open: () => sockets.size })))
}

describe('hostMcpServer', () => {
  let dir: string
  let host: McpHost | undefined
  let agent: Server | undefined
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hive-mcp-host-'))
  })
  afterEach(() => {
    host?.close()
    agent?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('closes the agent-socket connection of a session whose client left while it was being set up', async () => {
    const stand = await agentSocket(join(dir, 'agent.sock'), 300)
    agent = stand.server
    const errors: unknown[] = []
    host = await hostMcpServer(join(dir, 'host.sock'), { socketPath: join(dir, 'agent.sock'), version: 'test' }, (e) => errors.push(e), (e) => errors.push(e))
    // A relay that connects and goes away at once (claude killed as it started its MCP server).
    const client = connect(join(dir, 'host.sock'))
    await new Promise((resolve) => client.once('connect', resolve))
    client.destroy()
    await expect.poll(() => stand.open(), { timeout: 5000 }).toBe(1)
    await sleep(600) // whoami answered, the session saw its client gone
    expect(stand.open()).toBe(0)
    expect(errors).toEqual([])
  })
})
