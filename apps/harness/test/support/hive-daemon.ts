import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { GuardMessage } from '../../src/main/process-guards.ts'

const HIVE_BIN = fileURLToPath(new URL('../../bin/hive.mjs', import.meta.url))
/** What `hive <verb>` runs for an operator: the sh bin on the CLI's startup snapshot. */
const HIVE_CLI = fileURLToPath(new URL('../../bin/hive', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * A real `hive serve` in a temp HIVE_HOME, as a child process, plus a runner for `hive <verb>`
 * against it. `env` reaches the daemon and through it the agents (e.g. ANTHROPIC_BASE_URL).
 */
export class HiveDaemon {
  loginUrl = ''
  origin = ''
  private child: ChildProcess | undefined
  private output: string[] = []

  constructor(
    readonly home: string,
    private env: Record<string, string>,
  ) {}

  setEnv(env: Record<string, string>): void {
    this.env = { ...this.env, ...env }
  }

  /** The daemon's process id (for CPU accounting in benches). */
  get pid(): number | undefined {
    return this.child?.pid
  }

  static tempHome(): string {
    return mkdtempSync(join(tmpdir(), 'hive-test-'))
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [HIVE_BIN, 'serve'], {
      env: this.childEnv({ HIVE_PORT: '0', LOG_LEVEL: 'debug' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    createInterface({ input: child.stderr }).on('line', (l) => this.output.push(l))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hive serve did not start:\n${this.log()}`)), 60_000)
      createInterface({ input: child.stdout }).on('line', (line) => {
        this.output.push(line)
        const login = /◆ login: (\S+)/.exec(line)
        if (login?.[1]) {
          this.loginUrl = login[1]
          this.origin = new URL(login[1]).origin
          clearTimeout(timer)
          resolve()
        }
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`hive serve exited with ${code}:\n${this.log()}`))
      })
    })
  }

  /** SIGKILL: no shutdown code runs, exactly like a crash. */
  async crash(): Promise<void> {
    await this.signal('SIGKILL')
    this.assertNoUnhandledErrors()
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM')
    this.assertNoUnhandledErrors()
  }

  /** Each error the daemon's process guards caught is a bug: it fails the test file that caused it. */
  private assertNoUnhandledErrors(): void {
    const guarded: string[] = Object.values(GuardMessage)
    const lines = this.output.filter((line) => guarded.some((message) => line.includes(message)))
    if (lines.length) throw new Error(`hive serve logged ${lines.length} unhandled error(s):\n${lines.join('\n')}`)
  }

  cli(...args: string[]): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(HIVE_CLI, args, { env: this.childEnv({}), stdio: ['pipe', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      // Decoded as a stream: a chunk boundary may fall inside a multi-byte character.
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      child.stdin.end()
      child.once('close', (code) => resolve({ code, stdout, stderr }))
    })
  }

  async cliJson<T>(...args: string[]): Promise<T> {
    const r = await this.cli(...args)
    if (r.code !== 0) throw new Error(`hive ${args.join(' ')} failed (${r.code}): ${r.stderr}`)
    return JSON.parse(r.stdout) as T
  }

  log(): string {
    return this.output.join('\n')
  }

  removeHome(): void {
    // HIVE_TEST_KEEP_HOME=1 keeps it to read a failed test's logs and database.
    if (process.env.HIVE_TEST_KEEP_HOME === '1') return
    rmSync(this.home, { recursive: true, force: true })
  }

  private childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: this.home,
      HIVE_HOME: this.home,
      HIVE_RUNTIME: 'process',
      ...this.env,
      ...extra,
    }
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill(sig)
    await exited
    this.child = undefined
  }
}
