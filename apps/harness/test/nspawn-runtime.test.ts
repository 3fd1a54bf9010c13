import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { onTurnContaining } from '@hive/testkit'
import { NODE_COMM, nspawnWorksHere, runsNode } from './support/containers.ts'
import { useHive } from './support/hive-fixture.ts'
import { TerminalClient } from './support/terminal-client.ts'
import { managerEvents } from './support/manager-events.ts'
import { readHiveDb } from './support/hive-db.ts'

interface AgentRow {
  name: string
  runtime: string
  isolated: boolean
  state: string
  activity: string
  unread: number
}

/** Host pids of live node processes whose command line contains `needle` (nspawn and its stub init aside). */
function hostPidsOf(needle: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return runsNode(e) && readFileSync(`/proc/${e}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(needle)
      } catch {
        return false
      }
    })
    .map(Number)
}

/** Host uid of every live node process whose command line contains `needle` (nspawn and its stub init aside). */
function hostUidsOf(needle: string): number[] {
  const uids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (!runsNode(entry) || !readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) continue
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]
      if (uid !== undefined) uids.push(Number(uid))
    } catch {
      // exited meanwhile
    }
  }
  return uids
}

/**
 * The nspawn runtime with the real CLI inside real containers: agents talk as before, but each
 * runs in its own user namespace — root inside, an unprivileged uid range on the host.
 */
describe.runIf(nspawnWorksHere('nspawn runtime'))('nspawn runtime', () => {
  const hive = useHive({
    agents: ['worker'],
    env: { HIVE_RUNTIME: 'nspawn' },
    scripts: [
      onTurnContaining('manager-configures', 'give worker git status', [
        { toolUse: { name: 'Read', input: { file_path: '/agents/worker/config/agent.json' } } },
        {
          toolUse: {
            name: 'Write',
            input: { file_path: '/agents/worker/config/agent.json', content: '{\n  "bash": ["git status"],\n  "notesCompactBytes": 16384\n}\n' },
          },
        },
        { toolUse: { name: 'mcp__hyperhive__commit_config', input: { agent: 'worker', message: 'worker: git status' } } },
        // A scripted model cannot echo the returned sha; commit_config moved main to it.
        { toolUse: { name: 'mcp__hyperhive__request_apply_commit', input: { agent: 'worker', commit_ref: 'main', description: 'worker needs git status' } } },
        { text: 'Requested; the operator decides.' },
      ]),
      onTurnContaining('worker-replies', 'report from inside', [
        { toolUse: { name: 'mcp__hyperhive__send', input: { to: 'operator', body: 'hello from a container' } } },
        { text: 'Reported.' },
      ]),
    ],
  })
  const { daemon } = hive

  it('runs each agent in its own container, root inside and an unprivileged uid on the host', async () => {
    const agents = await daemon.cliJson<AgentRow[]>('list', '--json')
    expect(agents.map((a) => [a.name, a.runtime, a.isolated, a.state])).toEqual([
      ['manager', 'nspawn', true, 'running'],
      ['worker', 'nspawn', true, 'running'],
    ])
    // nspawn runs as host root; its payloads never do: each hive-agent runs as its agent's range base.
    // The container is running before its payload has exec'd hive-agent: give it the moment.
    await expect.poll(() => hostUidsOf('/project/apps/harness/bin/hive-agent.mjs').length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2)
    const agentUids = hostUidsOf('/project/apps/harness/bin/hive-agent.mjs')
    expect(agentUids.every((u) => u >= 0x24000000)).toBe(true)
    expect(new Set(agentUids).size).toBe(2)
  })

  it('delivers messages through the real claude CLI inside the container', async () => {
    expect((await daemon.cli('send', 'worker', 'please report from inside')).code).toBe(0)
    await expect
      .poll(async () => (await daemon.cliJson<{ messages: { from: string; body: string }[] }>('inbox', '--json')).messages, { timeout: 120_000, interval: 500 })
      .toContainEqual(expect.objectContaining({ from: 'worker', body: 'hello from a container' }))
    // claude wrote its session as the container's root: on the host that is the agent's uid.
    const claudeDir = join(daemon.home, 'agents', 'worker', 'claude')
    const owners = new Set(readdirSync(claudeDir).map((f) => statSync(join(claudeDir, f)).uid))
    expect([...owners].every((u) => u >= 0x24000000)).toBe(true)
    // The turn is over and the message acked before the later tests kill this payload (or it comes again).
    await expect.poll(async () => (await daemon.cliJson<AgentRow[]>('list', '--json')).find((a) => a.name === 'worker'), { timeout: 30_000 }).toMatchObject({ activity: 'idle', unread: 0 })
  })

  it('opens a terminal inside the container as its root, which is not host root', async () => {
    const res = await fetch(daemon.loginUrl, { redirect: 'manual' })
    const headers = { Cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '', Origin: daemon.origin }
    const t = await TerminalClient.open(`${daemon.origin.replace('http', 'ws')}/pty/worker?kind=shell`, headers)
    try {
      const at = t.offset
      t.type(`echo "R$((6*7))R ID=$(id -u) MAP=$(awk '{print $2}' /proc/self/uid_map) PWD=$(pwd) HOME_SEEN=$(test -e ${daemon.home}/operator.token && echo yes || echo no) RUN=$(ls /run/hive | paste -sd, -) RM=$(rm -f /run/hive/mcp.sock 2>&1 >/dev/null | grep -c denied) RMPTY=$(rm -f /run/hive/pty.sock 2>&1 >/dev/null | grep -c denied)"; touch /state/from-the-shell\r`)
      const end = await t.waitFor('R42R', at)
      await t.waitFor('\n', end)
      const line = /ID=(\d+) MAP=(\d+) PWD=(\S+) HOME_SEEN=(\w+) RUN=(\S+) RM=(\d) RMPTY=(\d)/.exec(t.bytes.subarray(at).toString())
      expect(line?.[1], t.bytes.subarray(at).toString()).toBe('0')
      expect(Number(line?.[2])).toBeGreaterThanOrEqual(0x24000000)
      expect(line?.[3]).toBe('/state')
      expect(line?.[4]).toBe('no') // the host's hive home (and its secrets) is not in the container
      // Only its own sockets (mcp.sock, and pty.sock its terminals connect back to) …
      expect(line?.[5]).toBe(readdirSync(join(daemon.home, 'run', 'agents', 'worker')).sort().join(','))
      expect(line?.[5]?.split(',')).toEqual(expect.arrayContaining(['mcp.sock', 'pty.sock']))
      expect(line?.[6]).toBe('1') // … which it can use but not replace
      expect(line?.[7]).toBe('1')
      await expect.poll(() => statSync(join(daemon.home, 'agents', 'worker', 'state', 'from-the-shell')).uid).toBe(Number(line?.[2]))
    } finally {
      t.close()
    }
  })

  it("runs the terminal in the payload: its seccomp filter, no_new_privs, capability bounding set and cgroup", async () => {
    const res = await fetch(daemon.loginUrl, { redirect: 'manual' })
    const headers = { Cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '', Origin: daemon.origin }
    const t = await TerminalClient.open(`${daemon.origin.replace('http', 'ws')}/pty/worker?kind=shell`, headers)
    try {
      const at = t.offset
      // `[.]` keeps the search from finding its own command line; the stub init (pid 1) keeps
      // nspawn's, payload included, but does not run node.
      const agentPid = `$(for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = ${NODE_COMM} ] && tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q 'hive-agent[.]mjs serve' && echo \${p#/proc/}; done | head -n1)`
      t.type(
        `A=${agentPid}; echo "B$((6*7))B"; grep -E 'Seccomp|NoNewPrivs|CapBnd' /proc/self/status; ` +
          `grep -E 'Seccomp|NoNewPrivs|CapBnd' /proc/$A/status | sed 's/^/PAYLOAD-/'; ` +
          `echo "SELF-CG=$(cat /proc/self/cgroup | paste -sd'|' -)"; echo "PAYLOAD-CG=$(cat /proc/$A/cgroup | paste -sd'|' -)"; echo "E$((6*7))E"\r`,
      )
      const begin = await t.waitFor('B42B', at)
      const end = await t.waitFor('E42E', begin)
      const out = t.bytes.subarray(begin, end).toString().replaceAll('\r', '')
      const field = (name: string) => new RegExp(`^${name}:\\s+(\\S+)$`, 'm').exec(out)?.[1]
      expect(field('Seccomp'), out).toBe('2') // nspawn's filter (an nsenter'd shell has 0)
      expect(field('NoNewPrivs')).toBe('1')
      expect(field('PAYLOAD-Seccomp')).toBe('2')
      expect(field('CapBnd')).toBe(field('PAYLOAD-CapBnd'))
      expect(field('CapBnd')).toMatch(/^[0-9a-f]{16}$/)
      const cgroup = (who: string) => new RegExp(`^${who}-CG=(.+)$`, 'm').exec(out)?.[1]
      expect(cgroup('SELF')).toBeDefined()
      expect(cgroup('SELF')).toBe(cgroup('PAYLOAD')) // the container's cgroup, not the daemon's
    } finally {
      t.close()
    }
  })

  it('reports a container that dies on its own to the manager as container_crash', async () => {
    const environOf = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8')
      } catch {
        return '' // exited meanwhile
      }
    }
    const [pid] = hostPidsOf('hive-agent.mjs serve').filter((p) => environOf(p).includes('GIT_AUTHOR_NAME=worker\0'))
    expect(pid).toBeDefined()
    process.kill(pid ?? 0, 'SIGKILL')
    await expect.poll(async () => (await daemon.cliJson<AgentRow[]>('list', '--json')).find((a) => a.name === 'worker')?.state, { timeout: 20_000 }).toBe('failed')
    await expect.poll(() => managerEvents(daemon.home, 'container_crash'), { timeout: 5_000 }).toContainEqual(expect.objectContaining({ event: 'container_crash', agent: 'worker' }))
    expect((await daemon.cli('start', 'worker')).code).toBe(0)
  })

  it('stops and starts containers, and a killed daemon takes its containers along', async () => {
    const nspawnOf = (agent: string) => nspawnProcesses(agent) + hostUidsOf(`hive-${agent}`).length
    expect((await daemon.cli('kill', 'worker')).code).toBe(0)
    expect(nspawnProcesses('worker')).toBe(0)
    expect((await daemon.cliJson<AgentRow[]>('list', '--json')).find((a) => a.name === 'worker')?.state).toBe('stopped')
    // No container, no shell in it: a clear refusal, not a host shell.
    const res = await fetch(daemon.loginUrl, { redirect: 'manual' })
    const headers = { Cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '', Origin: daemon.origin }
    const t = await TerminalClient.open(`${daemon.origin.replace('http', 'ws')}/pty/worker?kind=shell`, headers)
    await expect(t.waitFor('never', 0, 10_000)).rejects.toThrow('agent worker is not running')
    expect((await daemon.cli('start', 'worker')).code).toBe(0)
    // nspawn's forks have its name until the container is set up, which may take seconds on a busy box.
    await expect.poll(() => nspawnProcesses('worker'), { timeout: 30_000 }).toBe(1)

    await daemon.crash()
    // setpriv --pdeathsig: nspawn is told to stop when the daemon dies; nothing is orphaned.
    await expect.poll(() => nspawnOf('worker') + nspawnOf('manager'), { timeout: 20_000, interval: 200 }).toBe(0)
    await daemon.start()
    expect((await daemon.cliJson<AgentRow[]>('list', '--json')).map((a) => a.state)).toEqual(['running', 'running'])
    expect((await daemon.cli('send', 'worker', 'report from inside again')).code).toBe(0)
    await expect
      .poll(async () => (await daemon.cliJson<{ messages: { body: string }[] }>('inbox', '--json')).messages.length, { timeout: 120_000, interval: 500 })
      .toBe(2)
  })

  it("lets the manager edit and commit another agent's config in its container, for the operator to approve", async () => {
    expect((await daemon.cli('send', 'manager', 'please give worker git status')).code).toBe(0)
    let pending: { id: number; kind: string; agent: string; sha?: string; diff?: string }[] = []
    await expect
      .poll(async () => (pending = await daemon.cliJson<typeof pending>('pending', '--json')), { timeout: 120_000, interval: 500 })
      .toHaveLength(1)
    expect(pending[0]).toMatchObject({ kind: 'apply_commit', agent: 'worker' })
    expect(pending[0]?.diff).toContain('+  "bash": ["git status"]')
    const repo = join(daemon.home, 'agents', 'worker', 'config')
    const [author, subject] = spawnSync('git', ['-c', 'safe.directory=*', '-C', repo, 'log', '-1', '--format=%an%n%s'], { encoding: 'utf8' }).stdout.trim().split('\n')
    expect(author).toBe('manager')
    expect(subject).toBe('worker: git status')
    // The commit came from the tool, whose sha is the one pinned for approval.
    const committed = hive.fake.requests.find((r) => r.script === 'manager-configures' && r.answer === 'step 3')
    expect(pending[0]?.sha).toMatch(/^[0-9a-f]{40}$/)
    expect(JSON.stringify(committed?.body)).toContain(`{\\"sha\\":\\"${pending[0]?.sha}\\"}`)
    expect(statSync(join(repo, 'agent.json')).uid).toBeGreaterThanOrEqual(0x24000000) // the manager's uid, not root

    expect((await daemon.cli('approve', String(pending[0]?.id))).code).toBe(0)
    expect(JSON.parse(readFileSync(join(daemon.home, 'applied', 'worker', 'agent.json'), 'utf8'))).toMatchObject({ bash: ['git status'] })
  })

  it('gives agents spawned at the same moment distinct uid ranges, and one name only once', async () => {
    const results = await Promise.all([daemon.cli('spawn', 'alpha'), daemon.cli('spawn', 'beta'), daemon.cli('spawn', 'alpha')])
    expect(results.map((r) => r.code).sort()).toEqual([0, 0, 1])
    expect(results.find((r) => r.code === 1)?.stderr).toContain('agent alpha already exists')
    const bases = readHiveDb(daemon.home, (db) => db.prepare('SELECT "uidBase" FROM "Agent"').all() as { uidBase: number }[]).map((r) => r.uidBase)
    expect(bases).toHaveLength(4)
    expect(new Set(bases).size).toBe(4)
    expect(bases.every((b) => b >= 0x24000000 && b % 0x10000 === 0)).toBe(true)
  })
})

/** systemd-nspawn processes of one agent's container (the supervisor, not its stub init). */
function nspawnProcesses(agent: string): number {
  let n = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim()
      // The container's stub init carries the same command line under another name.
      if (comm === 'systemd-nspawn' && cmdline.includes(`--machine=hive-${agent}\0`)) n++
    } catch {
      // exited meanwhile
    }
  }
  return n
}