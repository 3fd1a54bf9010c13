import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { afterAll, describe, expect, it } from 'vitest'
import { hostMcpServer, type McpHost } from '@hive/mcp/mcp-host'
import { useHive } from './support/hive-fixture.ts'

const HIVE_AGENT = fileURLToPath(new URL('../bin/hive-agent.mjs', import.meta.url))

type ToolResult = { isError?: boolean; content: { type: string; text: string }[] }

/** `hive-agent mcp` spoken to by the MCP SDK's own client over stdio, as claude does. */
describe('hive-agent mcp', () => {
  const { daemon } = useHive({ agents: ['worker'], stopped: true })
  const clients: Client[] = []

  async function connect(agent: string, env: Record<string, string> = {}): Promise<Client> {
    const client = new Client({ name: 'test', version: '0' })
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [HIVE_AGENT, 'mcp', '--socket', join(daemon.home, 'run', 'agents', agent, 'mcp.sock')],
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
      }),
    )
    clients.push(client)
    return client
  }

  afterAll(async () => {
    for (const c of clients) await c.close()
  })

  it('is named hyperhive and lists exactly the role surface', async () => {
    const worker = await connect('worker')
    expect(worker.getServerVersion()?.name).toBe('hyperhive')
    expect((await worker.listTools()).tools.map((t) => t.name).sort()).toEqual(['recv', 'send'])
    const manager = await connect('manager')
    expect((await manager.listTools()).tools.map((t) => t.name).sort()).toEqual(
      ['ask_operator', 'commit_config', 'kill', 'recv', 'request_apply_commit', 'request_spawn', 'restart', 'send', 'start', 'update'].sort(),
    )
    const send = (await worker.listTools()).tools.find((t) => t.name === 'send')
    expect(send?.inputSchema.properties).toHaveProperty('to')
  })

  it('relays send and recv to the socket', async () => {
    const worker = await connect('worker')
    const sent = (await worker.callTool({ name: 'send', arguments: { to: 'operator', body: 'from mcp' } })) as ToolResult
    expect(sent.isError).toBeFalsy()
    expect(sent.content[0]?.text).toBe('sent to operator (1 message)')
    const inbox = await daemon.cliJson<{ messages: { from: string; body: string }[] }>('inbox', '--json')
    expect(inbox.messages[0]).toMatchObject({ from: 'worker', body: 'from mcp' })

    expect((await worker.callTool({ name: 'recv', arguments: {} }) as ToolResult).content[0]?.text).toBe('(empty)')
    await daemon.cli('send', 'worker', 'ping')
    const got = (await worker.callTool({ name: 'recv', arguments: { wait_seconds: 5 } })) as ToolResult
    expect(got.content[0]?.text).toContain('from: operator\nping')
  })

  it('turns failures into MCP tool errors with a clear message', async () => {
    const worker = await connect('worker')
    const unknown = (await worker.callTool({ name: 'send', arguments: { to: 'nobody', body: 'x' } })) as ToolResult
    expect(unknown.isError).toBe(true)
    expect(unknown.content[0]?.text).toContain('unknown recipient "nobody"')
    const tooLong = (await worker.callTool({ name: 'recv', arguments: { wait_seconds: 999 } })) as ToolResult
    expect(tooLong.isError).toBe(true)
    expect(tooLong.content[0]?.text).toMatch(/180/)

    const manager = await connect('manager')
    const self = (await manager.callTool({ name: 'kill', arguments: { name: 'manager' } })) as ToolResult
    expect(self.isError).toBe(true)
    expect(self.content[0]?.text).toContain('cannot kill itself')
    const tooShort = (await manager.callTool({ name: 'ask_operator', arguments: { question: 'ok?', ttl_seconds: 1 } })) as ToolResult
    expect(tooShort.isError).toBe(true)
    expect(tooShort.content[0]?.text).toContain('ttl_seconds: must be between 30 and 21600')
    const asked = (await manager.callTool({ name: 'ask_operator', arguments: { question: 'ok?' } })) as ToolResult
    expect(asked.isError).toBeFalsy()
    expect(JSON.parse(asked.content[0]?.text ?? '{}')).toEqual({ question_id: expect.any(Number) as number })
  })

  it('lets the manager run lifecycle tools on sub-agents', async () => {
    const manager = await connect('manager')
    const started = (await manager.callTool({ name: 'start', arguments: { name: 'worker' } })) as ToolResult
    expect(started.isError).toBeFalsy()
    expect(JSON.parse(started.content[0]?.text ?? '{}')).toMatchObject({ name: 'worker', state: 'running' })
    const killed = (await manager.callTool({ name: 'kill', arguments: { name: 'worker' } })) as ToolResult
    expect(JSON.parse(killed.content[0]?.text ?? '{}')).toMatchObject({ name: 'worker', state: 'stopped', desired: 'stopped' })
  })

  it("commits an agent's edited agent.json with commit_config, for request_apply_commit", async () => {
    const repo = join(daemon.home, 'agents', 'worker', 'config')
    const manager = await connect('manager', { HIVE_AGENTS_DIR: join(daemon.home, 'agents') })
    const unchanged = (await manager.callTool({ name: 'commit_config', arguments: { agent: 'worker', message: 'nothing' } })) as ToolResult
    expect(unchanged.isError).toBe(true)
    expect(unchanged.content[0]?.text).toContain('nothing to commit')
    const badName = (await manager.callTool({ name: 'commit_config', arguments: { agent: '../manager', message: 'x' } })) as ToolResult
    expect(badName.content[0]?.text).toContain('error (BAD_REQUEST): commit_config: args.agent')

    writeFileSync(join(repo, 'agent.json'), '{\n  "model": "sonnet",\n  "bash": ["git status"]\n}\n')
    const committed = (await manager.callTool({ name: 'commit_config', arguments: { agent: 'worker', message: 'worker: sonnet' } })) as ToolResult
    expect(committed.isError, committed.content[0]?.text).toBeFalsy()
    const { sha } = JSON.parse(committed.content[0]?.text ?? '{}') as { sha: string }
    const log = execFileSync('git', ['-C', repo, 'log', '-1', '--format=%H %an <%ae> %s'], { encoding: 'utf8' }).trim()
    expect(log).toBe(`${sha} manager <manager@hive> worker: sonnet`)

    const requested = (await manager.callTool({ name: 'request_apply_commit', arguments: { agent: 'worker', commit_ref: sha } })) as ToolResult
    expect(requested.isError, requested.content[0]?.text).toBeFalsy()
    const pending = await daemon.cliJson<{ agent: string; sha: string; diff: string }[]>('pending', '--json')
    expect(pending).toContainEqual(expect.objectContaining({ agent: 'worker', sha, diff: expect.stringContaining('+  "model": "sonnet",') as string }))

    const unset = await connect('manager')
    const nowhere = (await unset.callTool({ name: 'commit_config', arguments: { agent: 'worker', message: 'x' } })) as ToolResult
    expect(nowhere.content[0]?.text).toContain('HIVE_AGENTS_DIR is not set')
  })

  it('lets the operator override a model and destroy / purge from the CLI', async () => {
    const set = await daemon.cli('model', 'worker', 'sonnet')
    expect(set.stdout).toContain('worker: model sonnet (override)')
    expect((await daemon.cli('model', 'worker', '--clear')).stdout).toContain('worker: model haiku')
    expect((await daemon.cli('model', 'worker')).stderr).toContain('give a model or --clear')
    expect((await daemon.cli('destroy', 'manager')).stderr).toContain('the manager cannot be destroyed')
    expect((await daemon.cli('destroy', 'worker')).stdout).toContain('destroyed (state kept')
    const all = await daemon.cliJson<{ name: string; state: string }[]>('list', '--all', '--json')
    expect(all.find((a) => a.name === 'worker')?.state).toBe('destroyed')
    expect((await daemon.cli('send', 'worker', 'hi')).stderr).toContain('recipient "worker" is destroyed')
    expect((await daemon.cli('destroy', 'worker', '--purge')).stdout).toContain('purged')
    expect((await daemon.cliJson<{ name: string }[]>('list', '--all', '--json')).map((a) => a.name)).toEqual(['manager'])
  })
})

/**
 * What claude starts on every turn: `hive-agent mcp --relay <path>`, a pipe to the MCP server that
 * `hive-agent serve` hosts (hosted here by the test, as serve does).
 */
describe('hive-agent mcp --relay', () => {
  const { daemon } = useHive({ agents: ['worker'], stopped: true })
  const hosts: McpHost[] = []
  const hostErrors: unknown[] = []
  const hostDir = mkdtempSync(join(tmpdir(), 'hive-mcp-host-'))
  afterAll(() => {
    for (const host of hosts) host.close()
    rmSync(hostDir, { recursive: true, force: true })
  })

  async function host(agent: string): Promise<string> {
    const path = join(hostDir, `${agent}.sock`)
    hosts.push(await hostMcpServer(path, { socketPath: join(daemon.home, 'run', 'agents', agent, 'mcp.sock'), version: 'test' }, (err) => hostErrors.push(err), (err) => hostErrors.push(err)))
    return path
  }
  const relayed = async (path: string): Promise<Client> => {
    const client = new Client({ name: 'test', version: '0' })
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [HIVE_AGENT, 'mcp', '--relay', path], env: { PATH: process.env.PATH ?? '' } }))
    return client
  }

  it('serves the same role surface and tools through the relay, one session per relay process', async () => {
    const path = await host('worker')
    const first = await relayed(path)
    expect(first.getServerVersion()?.name).toBe('hyperhive')
    expect((await first.listTools()).tools.map((t) => t.name).sort()).toEqual(['recv', 'send'])
    const sent = (await first.callTool({ name: 'send', arguments: { to: 'operator', body: 'through the relay' } })) as ToolResult
    expect(sent.content[0]?.text).toBe('sent to operator (1 message)')
    expect((await daemon.cliJson<{ messages: { from: string; body: string }[] }>('inbox', '--json')).messages[0]).toMatchObject({ from: 'worker', body: 'through the relay' })
    await first.close()
    // The host outlives a session: the next turn's relay gets a fresh one.
    const second = await relayed(path)
    expect((await second.callTool({ name: 'recv', arguments: {} }) as ToolResult).content[0]?.text).toBe('(empty)')
    await second.close()
    expect(hostErrors).toEqual([])
  })

  it('says where it could not connect and exits 1 when no serve hosts the server', () => {
    const missing = join(hostDir, 'nobody.sock')
    let failure: { status: number; stderr: string } | undefined
    try {
      execFileSync(process.execPath, [HIVE_AGENT, 'mcp', '--relay', missing], { input: '', stdio: 'pipe', encoding: 'utf8' })
    } catch (e) {
      failure = e as { status: number; stderr: string }
    }
    expect(failure?.status).toBe(1)
    expect(failure?.stderr).toContain(`cannot reach the MCP server of hive-agent serve at ${missing}`)
  })
})
