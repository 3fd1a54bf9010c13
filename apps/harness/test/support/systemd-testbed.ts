import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

const Testbed = {
  /** ms to reach `running` or `degraded` (about 15 s on this machine, reference/systemd-testbed.md). */
  BOOT_MS: 90_000,
  /** ms between looks at the booting machine. */
  POLL_MS: 250,
  /** ms the machine gets to shut down after SIGTERM before it is killed. */
  HALT_MS: 30_000,
  /** ms for one command run inside. */
  EXEC_MS: 30_000,
  /** The end of the boot output kept for an error message. */
  OUTPUT_CHARS: 4_096,
} as const

/** What a testbed needs from this host: root, nspawn, systemd itself and a D-Bus daemon for its system bus. */
export function systemdTestbedHere(suite: string): boolean {
  const missing = [
    process.getuid?.() === 0 ? null : 'root',
    ['/usr/bin/systemd-nspawn', '/bin/systemd-nspawn'].some((p) => existsSync(p)) ? null : 'systemd-nspawn (systemd-container)',
    existsSync('/lib/systemd/systemd') ? null : '/lib/systemd/systemd (systemd)',
    existsSync('/usr/bin/dbus-daemon') ? null : 'dbus-daemon (dbus)',
  ].filter((m): m is string => m !== null)
  if (missing.length > 0) process.stderr.write(`⚠ no systemd testbed here (missing ${missing.join(', ')}): ${suite} tests skipped\n`)
  return missing.length === 0
}

/**
 * A real systemd 252 with a real system bus on a host whose PID 1 is not systemd: the host's own
 * `/` booted volatile (a tmpfs root, the host's /usr read-only) in nspawn (systemd-testbed.md).
 * Paths the daemon hands to its units (the repo, HIVE_HOME, CA files) are bound at the same place,
 * so a daemon on the host can point DBUS_SYSTEM_BUS_ADDRESS at `busAddress` and run units in it.
 */
export class SystemdTestbed {
  private constructor(
    private readonly nspawn: ChildProcess,
    /** The machine's init (its systemd), a host pid. */
    readonly init: number,
    readonly machine: string,
  ) {}

  /** The machine's system bus, reachable from the host through its root. */
  get busAddress(): string {
    return `unix:path=/proc/${this.init}/root/run/dbus/system_bus_socket`
  }

  /** Boots one; it throws with the machine's output when it does not come up. */
  static async boot(binds: { readWrite: string[]; readOnly: string[] }): Promise<SystemdTestbed> {
    const machine = `hive-testbed-${process.pid}`
    const args = [
      '--pdeathsig',
      'SIGTERM',
      '--',
      'systemd-nspawn',
      '--quiet',
      '--register=no',
      '--keep-unit',
      '--directory=/',
      '--volatile=yes',
      '--private-network',
      `--machine=${machine}`,
      ...binds.readWrite.map((p) => `--bind=${p}`),
      ...binds.readOnly.filter((p) => existsSync(p)).map((p) => `--bind-ro=${p}`),
      '--boot',
      // The first-boot wizard would wait for a key.
      'systemd.firstboot=off',
    ]
    const nspawn = spawn('setpriv', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let output = ''
    nspawn.stdout.setEncoding('utf8').on('data', (d: string) => (output = (output + d).slice(-Testbed.OUTPUT_CHARS)))
    nspawn.stderr.setEncoding('utf8').on('data', (d: string) => (output = (output + d).slice(-Testbed.OUTPUT_CHARS)))
    const deadline = Date.now() + Testbed.BOOT_MS
    for (;;) {
      if (nspawn.exitCode !== null || nspawn.signalCode !== null) throw new Error(`the systemd testbed did not boot:\n${output}`)
      const init = initOf(nspawn.pid)
      if (init !== undefined) {
        const bed = new SystemdTestbed(nspawn, init, machine)
        // It exits non-zero for anything but `running`; `degraded` (some units fail in a container) is fine.
        const state = (await bed.exec(['systemctl', 'is-system-running']).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }))).stdout.trim()
        if (state === 'running' || state === 'degraded') return bed
      }
      if (Date.now() > deadline) {
        nspawn.kill('SIGKILL')
        throw new Error(`the systemd testbed did not reach running in ${Testbed.BOOT_MS} ms:\n${output}`)
      }
      await sleep(Testbed.POLL_MS)
    }
  }

  /** Runs a command inside the machine (its mounts, pids and bus); rejects on a non-zero exit. */
  async exec(argv: string[]): Promise<{ stdout: string; stderr: string }> {
    return execFileAsync('nsenter', [`--target=${this.init}`, '--mount', '--uts', '--ipc', '--net', '--pid', '--', ...argv], { encoding: 'utf8', timeout: Testbed.EXEC_MS })
  }

  /** `systemctl show` of a unit: the named properties. */
  async unitProperties(unit: string, names: string[]): Promise<Record<string, string>> {
    const { stdout } = await this.exec(['systemctl', 'show', unit, ...names.map((n) => `--property=${n}`)])
    return Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    )
  }

  /** Halts the machine (SIGTERM to nspawn: its systemd shuts down, every unit with it). */
  async stop(): Promise<void> {
    const { nspawn } = this
    if (nspawn.exitCode !== null || nspawn.signalCode !== null) return
    const exited = new Promise<void>((resolve) => nspawn.once('exit', () => resolve()))
    nspawn.kill('SIGTERM')
    const timer = setTimeout(() => nspawn.kill('SIGKILL'), Testbed.HALT_MS)
    await exited
    clearTimeout(timer)
  }
}

/** The machine's systemd: the child of nspawn (itself setpriv's exec) once it has forked. */
function initOf(nspawnPid: number | undefined): number | undefined {
  if (nspawnPid === undefined) return undefined
  try {
    const child = readFileSync(`/proc/${nspawnPid}/task/${nspawnPid}/children`, 'utf8').trim().split(/\s+/)[0]
    if (!child) return undefined
    // Until it execs, the child is nspawn's own fork, not yet systemd.
    return readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'systemd' ? Number(child) : undefined
  } catch {
    return undefined // not forked yet, or gone
  }
}

