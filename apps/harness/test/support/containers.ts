import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'

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

/** The host uid that is root in an agent's container (its recorded range). */
function uidBaseOf(home: string, agent: string): number {
  const db = new Database(join(home, 'hive.db'), { readonly: true })
  try {
    const row = db.prepare('SELECT "uidBase" FROM "Agent" WHERE name = ?').get(agent) as { uidBase: number | null } | undefined
    if (row?.uidBase == null) throw new Error(`${agent} has no uid range`)
    return row.uidBase
  } finally {
    db.close()
  }
}

/** Host pids of the processes running as an agent's container root (its payload and children). */
export function containerPids(home: string, agent: string): number[] {
  const base = uidBaseOf(home, agent)
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${e}/status`, 'utf8'))?.[1]) === base
      } catch {
        return false
      }
    })
    .map(Number)
}

/** The container's init (nspawn's stub): what `nsenter --all` joins. */
export function stubInitOf(home: string, agent: string): number {
  const init = containerPids(home, agent).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === '(sd-stubinit)'
    } catch {
      return false
    }
  })
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
