import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { onTurnContaining } from '@hive/testkit'
import { containerPids, nodeInside, nspawnWorksHere, stubInitOf } from './support/containers.ts'
import { useHive } from './support/hive-fixture.ts'
import { readHiveDb } from './support/hive-db.ts'

const OPERATOR_KEY = 'sk-ant-operator-secret-4711'
/**
 * A public-looking egress target (TEST-NET-2) on another "host": a network namespace behind a veth
 * pair, so it is none of this host's own addresses (which the proxy refuses on any port).
 */
const UPSTREAM_NETNS = `hive-up-${process.pid}`
const HOST_SIDE = '198.51.100.1'
const PUBLIC_TEST_ADDRESS = '198.51.100.2'

/** Creates the upstream's namespace; false when this machine cannot (the case is then skipped, loudly). */
function makeUpstreamHost(): boolean {
  const ip = (...args: string[]) => spawnSync('ip', args, { stdio: 'ignore' }).status === 0
  const veth = `vh${process.pid % 100000}`
  return (
    ip('netns', 'add', UPSTREAM_NETNS) &&
    ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'vu0', 'netns', UPSTREAM_NETNS) &&
    ip('addr', 'add', `${HOST_SIDE}/30`, 'dev', veth) &&
    ip('link', 'set', veth, 'up') &&
    ip('-n', UPSTREAM_NETNS, 'addr', 'add', `${PUBLIC_TEST_ADDRESS}/30`, 'dev', 'vu0') &&
    ip('-n', UPSTREAM_NETNS, 'link', 'set', 'vu0', 'up') &&
    ip('-n', UPSTREAM_NETNS, 'link', 'set', 'lo', 'up')
  )
}

const listen = (server: Server, options: object) =>
  new Promise<number>((resolve) => server.listen(options, () => resolve((server.address() as AddressInfo | null)?.port ?? 0)))

/** Inside a container: what happens when it dials each target (`connected`, or the error code). */
const DIAL = `
const net = require('node:net')
const dial = (o) => new Promise((done) => {
  const s = net.connect(o)
  const t = setTimeout(() => { s.destroy(); done('timeout') }, 3000)
  s.once('connect', () => { clearTimeout(t); s.destroy(); done('connected') })
  s.once('error', (e) => { clearTimeout(t); done(e.code) })
})`

/** Inside a container: a CONNECT through the forwarder, then a plain GET over the tunnel. */
const viaProxy = (target: string) => `
const net = require('node:net')
const s = net.connect(${7180}, '127.0.0.1')
let buf = ''
s.on('data', (d) => {
  buf += d
  if (buf.startsWith('HTTP/1.1 200') && buf.includes('\\r\\n\\r\\n') && !s.sent) { s.sent = true; buf = ''; s.write('GET / HTTP/1.0\\r\\nHost: t\\r\\n\\r\\n') }
})
s.on('close', () => console.log(JSON.stringify(buf.split('\\r\\n')[0] + ' | ' + buf.slice(buf.indexOf('\\r\\n\\r\\n') + 4))))
s.write('CONNECT ${target} HTTP/1.1\\r\\nHost: ${target}\\r\\n\\r\\n')
setTimeout(() => s.destroy(), 8000).unref()`

/**
 * Containment of the network (nspawn): an agent has only `lo`; its ways out are the MCP socket
 * and the model gateway, which adds the operator's key on the host side and proxies only the
 * egress its agent.json lists — never to loopback, private or link-local addresses.
 */
describe.runIf(nspawnWorksHere('containment-network'))('containment: network', () => {
  const hive = useHive({
    agents: ['worker'],
    env: { HIVE_RUNTIME: 'nspawn', ANTHROPIC_API_KEY: OPERATOR_KEY },
    scripts: [onTurnContaining('worker-gw', 'ping through the gateway', [{ text: 'pong from the container' }])],
  })
  const { daemon } = hive
  const hostListener = createServer((s) => s.end('host loopback service\n'))
  const abstract = createServer((s) => s.end('abstract\n'))
  const abstractName = `\0hive-test-abstract-${process.pid}`
  let hostPort = 0

  beforeAll(async () => {
    hostPort = await listen(hostListener, { host: '127.0.0.1', port: 0 })
    await listen(abstract, { path: abstractName })
  })
  afterAll(() => {
    hostListener.close()
    abstract.close()
  })

  it('runs a real turn through the gateway with the operator key added on the host side, and records it', async () => {
    expect((await daemon.cli('send', 'worker', 'ping through the gateway')).code).toBe(0)
    const request = await hive.fake.waitForRequest((r) => r.script === 'worker-gw', 120_000)
    expect(request.auth.apiKey).toBe(OPERATOR_KEY)
    await expect
      .poll(
        () =>
          readHiveDb(daemon.home, (db) => db.prepare(`SELECT status, model, tokensIn, tokensOut FROM "ModelRequest" WHERE agent = 'worker'`).all() as { status: number; tokensIn: number; tokensOut: number }[]),
        { timeout: 60_000, interval: 500 },
      )
      .toContainEqual(expect.objectContaining({ status: 200, tokensIn: expect.any(Number) as number, tokensOut: expect.any(Number) as number }))

    // No operator secret in the container: not in the payload's environment, nor any process's.
    const pids = containerPids(daemon.home, 'worker')
    expect(pids.length).toBeGreaterThan(0)
    for (const pid of pids) {
      let environ = ''
      try {
        environ = readFileSync(`/proc/${pid}/environ`, 'utf8')
      } catch {
        continue // exited meanwhile
      }
      expect(environ).not.toContain(OPERATOR_KEY)
      expect(environ).not.toMatch(/ANTHROPIC_AUTH_TOKEN|CLAUDE_CODE_OAUTH_TOKEN/)
    }
  })

  it('reaches neither the daemon, nor host loopback services, nor the metadata address, nor host abstract sockets', async () => {
    const daemonPort = Number(new URL(daemon.origin).port)
    const result = JSON.parse(
      await nodeInside(
        daemon.home,
        'worker',
        `${DIAL}
;(async () => console.log(JSON.stringify({
  daemon: await dial({ host: '127.0.0.1', port: ${daemonPort} }),
  hostService: await dial({ host: '127.0.0.1', port: ${hostPort} }),
  metadata: await dial({ host: '169.254.169.254', port: 80 }),
  abstract: await dial({ path: ${JSON.stringify(abstractName)} }),
})))()`,
      ),
    ) as Record<string, string>
    expect(result).not.toMatchObject({ daemon: 'connected' })
    for (const [target, outcome] of Object.entries(result)) expect(outcome, target).not.toBe('connected')
  })

  it('keeps a port the agent binds on 0.0.0.0 out of the host', async () => {
    const init = stubInitOf(daemon.home, 'worker')
    const server = spawn('nsenter', [`--target=${init}`, '--all', process.execPath, '-e', "require('node:net').createServer((s) => s.end('agent\\n')).listen(48777, '0.0.0.0', () => console.log('listening'))"])
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: server.stdout }).once('line', () => resolve())
        server.once('exit', (code) => reject(new Error(`agent server exited ${code}`)))
      })
      const hostAddresses = ['127.0.0.1', ...Object.values(networkInterfaces()).flatMap((l) => (l ?? []).filter((i) => i.family === 'IPv4').map((i) => i.address))]
      for (const host of new Set(hostAddresses)) {
        const r = spawnSync(process.execPath, ['-e', `${DIAL}\n;dial({ host: '${host}', port: 48777 }).then((o) => console.log(o))`], { encoding: 'utf8' })
        expect(r.stdout.trim(), host).not.toBe('connected')
      }
    } finally {
      server.kill('SIGKILL')
    }
  })

  describe('egress', () => {
    const upstreamPort = 48780
    let upstream: ReturnType<typeof spawn> | undefined
    let aliased = false

    beforeAll(async () => {
      aliased = makeUpstreamHost()
      if (!aliased) process.stderr.write('⚠ cannot make a network namespace for the upstream: the allowed-egress case is skipped\n')
      else {
        upstream = spawn('ip', ['netns', 'exec', UPSTREAM_NETNS, process.execPath, '-e', `require('node:http').createServer((q, r) => r.end('hello from the allowed upstream')).listen(${upstreamPort}, '${PUBLIC_TEST_ADDRESS}', () => console.log('up'))`])
        await new Promise<void>((resolve, reject) => {
          if (!upstream?.stdout) return reject(new Error('no upstream stdout'))
          createInterface({ input: upstream.stdout }).once('line', () => resolve())
          upstream.once('exit', (code) => reject(new Error(`upstream exited ${code}`)))
        })
      }
      // The operator approved this egress: the applied agent.json is what the gateway reads.
      const applied = join(daemon.home, 'applied', 'worker', 'agent.json')
      const config = JSON.parse(readFileSync(applied, 'utf8')) as Record<string, unknown>
      config.egress = [`${PUBLIC_TEST_ADDRESS}:${upstreamPort}`, `127.0.0.1:${hostPort}`, '169.254.169.254:80']
      writeFileSync(applied, JSON.stringify(config, null, 2) + '\n')
    })
    afterAll(() => {
      upstream?.kill('SIGKILL')
      // Deleting the namespace takes its end of the veth pair, and with it ours.
      spawnSync('ip', ['netns', 'del', UPSTREAM_NETNS])
    })

    it('tunnels to an allowed upstream', async ({ skip }) => {
      if (!aliased) skip()
      const answer = JSON.parse(await nodeInside(daemon.home, 'worker', viaProxy(`${PUBLIC_TEST_ADDRESS}:${upstreamPort}`))) as string
      // The GET went out only after `200 Connection Established`; this is the upstream's answer through the tunnel.
      expect(answer).toBe('HTTP/1.1 200 OK | hello from the allowed upstream')
    })

    it('refuses an unlisted host, and listed loopback or link-local targets, showing each refusal as an event', async () => {
      for (const target of [`198.51.100.8:${upstreamPort}`, `127.0.0.1:${hostPort}`, '169.254.169.254:80']) {
        const answer = JSON.parse(await nodeInside(daemon.home, 'worker', viaProxy(target))) as string
        expect(answer, target).toMatch(/^HTTP\/1.1 403 Forbidden \| hive egress refused: /)
      }
      // The refusal is journaled beside the 403, not before it.
      const refusals = () =>
        readHiveDb(daemon.home, (db) => db.prepare(`SELECT payloadJson FROM "AgentEvent" WHERE agent = 'worker' AND kind = 'egress:refused'`).all() as { payloadJson: string }[]).map(
          (r) => JSON.parse(r.payloadJson) as { target: string; reason: string },
        )
      await expect
        .poll(() => refusals().map((r) => r.target), { timeout: 5_000 })
        .toEqual(expect.arrayContaining([`198.51.100.8:${upstreamPort}`, `127.0.0.1:${hostPort}`, '169.254.169.254:80']))
      expect(refusals().find((r) => r.target === '169.254.169.254:80')?.reason).toContain('link-local')
      expect(refusals().find((r) => r.target.startsWith('198.51.100.8'))?.reason).toContain('allow-list')
    })
  })
})
