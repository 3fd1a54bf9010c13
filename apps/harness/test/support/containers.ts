import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'

const execFileAsync = promisify(execFile)

/**
 * Whether this machine can run the containers at all (root, systemd-nspawn, user namespaces and a
 * private network); when it cannot, the suite is skipped loudly, by name.
 */
export function nspawnWorksHere(suite: string): boolean {
  if (process.getuid?.() !== 0) {
    process.stderr.write(`⚠ not root: ${suite} (nspawn) tests skipped\n`)
    return false
  }
  const probe = spawnSync(
    'systemd-nspawn',
    ['--quiet', '--register=no', '--keep-unit', '--machine=hive-probe', '--directory=/', '--volatile=yes', '--private-users=1879048192:65536', '--private-users-ownership=off', '--as-pid2', '--console=pipe', '--private-network', '/bin/true'],
    { stdio: 'ignore', timeout: 20_000 },
  )
  if (probe.status !== 0) process.stderr.write(`⚠ systemd-nspawn cannot run containers here: ${suite} tests skipped\n`)
  return probe.status === 0
}

/**
 * The host pid of an agent's `systemd-nspawn`, of this hive only: another hive on the host (a
 * concurrent test run) has containers with the same machine names, but not our state bound in.
 */
export function nspawnPidOf(home: string, agent: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'systemd-nspawn') continue
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`--bind=${join(home, 'agents', agent, 'state')}:/state\0`)) return Number(entry)
    } catch {
      // exited meanwhile
    }
  }
  return undefined
}

/** The processes below a pid, depth first. */
function descendants(pid: number): number[] {
  let children: number[] = []
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    // exited meanwhile
  }
  return children.flatMap((c) => [c, ...descendants(c)])
}

const commandOf = (pid: number, file: 'comm' | 'cmdline') => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8').replaceAll('\0', ' ').trim()
  } catch {
    return '' // exited meanwhile
  }
}

/** Host pids of every process in an agent's container (its stub init, payload and their children). */
export function containerPids(home: string, agent: string): number[] {
  const nspawn = nspawnPidOf(home, agent)
  return nspawn === undefined ? [] : descendants(nspawn)
}

/**
 * What a process running this node shows as its name. nspawn's own forks carry its command line,
 * payload included, until they exec (still setting the container up: no /tmp yet), and its stub
 * init keeps all but argv[0] of it; only a process that runs node is the payload.
 */
export const NODE_COMM = basename(process.execPath).slice(0, 15)

/** Whether a host pid runs node (see NODE_COMM); false once it has exited. */
export const runsNode = (pid: number | string) => commandOf(Number(pid), 'comm') === NODE_COMM

/** The host pid of an agent's `hive-agent serve` (inside its container). */
export function agentPidOf(home: string, agent: string): number | undefined {
  return containerPids(home, agent).find((pid) => runsNode(pid) && commandOf(pid, 'cmdline').includes('hive-agent.mjs serve'))
}

/** The container's init (nspawn's stub), what `nsenter --all` joins; undefined while it is not up. */
export function findStubInit(home: string, agent: string): number | undefined {
  return containerPids(home, agent).find((pid) => commandOf(pid, 'comm') === '(sd-stubinit)')
}

/** `findStubInit` for a container that must be running. */
export function stubInitOf(home: string, agent: string): number {
  const init = findStubInit(home, agent)
  if (init === undefined) throw new Error(`${agent}'s container is not running`)
  return init
}

/**
 * Runs a node script as root inside an agent's container; its stdout, trimmed. Asynchronous, so
 * servers in the test process keep answering while the script talks to them.
 */
export async function nodeInside(home: string, agent: string, script: string, timeoutMs = 30_000): Promise<string> {
  const { stdout } = await execFileAsync('nsenter', [`--target=${stubInitOf(home, agent)}`, '--all', process.execPath, '-e', script], { encoding: 'utf8', timeout: timeoutMs })
  return stdout.trim()
}
