import { execFileSync } from 'node:child_process'
import { appendFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JsonLinesClient, managerSurface } from '@hive/mcp'
import { useHive } from './support/hive-fixture.ts'
import { connectAgent } from './support/sockets.ts'

/** Sets the window title, clears the screen, and starts a CSI with the one-character C1 form. */
const HOSTILE = '\x1b]0;pwned\x07\x1b[2J\u009b31m'
/** What the CLI prints for it: every control character as a visible escape. */
const SHOWN = '\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m'

/** The bytes a terminal acts on: ESC, the other C0 controls but \n and \t, DEL, C1 (0xC2 0x80–0x9F). */
function terminalControls(stdout: string): string[] {
  const bytes = Buffer.from(stdout, 'utf8')
  const found: string[] = []
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0
    if ((b < 0x20 && b !== 0x0a && b !== 0x09) || b === 0x7f) found.push(`0x${b.toString(16)} at ${i}`)
    if (b === 0xc2 && (bytes[i + 1] ?? 0) >= 0x80 && (bytes[i + 1] ?? 0) <= 0x9f) found.push(`C1 0x${(bytes[i + 1] ?? 0).toString(16)} at ${i}`)
  }
  return found
}

/**
 * Agents choose the text of their messages, questions, proposals and logs; `hive` prints it to the
 * operator's terminal. Nothing in it may reach the terminal as a control sequence, in human or
 * --json output (where JSON.stringify alone would leave C1 raw).
 */
describe('hive prints agent-supplied text safely', () => {
  const { daemon } = useHive({ agents: ['worker'], stopped: true })
  let worker: JsonLinesClient<typeof managerSurface>
  let manager: JsonLinesClient<typeof managerSurface>

  beforeAll(async () => {
    worker = await connectAgent(daemon.home, 'worker')
    manager = await connectAgent(daemon.home, 'manager')
    await worker.call('send', { to: 'operator', body: `status ${HOSTILE}\nsecond line` })
    const { question_id } = await manager.call('ask_operator', { question: `which? ${HOSTILE}`, options: [`this ${HOSTILE}`, 'that'] })
    const answered = await daemon.cli('answer', String(question_id), `fine ${HOSTILE}`)
    expect(answered.code, answered.stderr).toBe(0)
    await manager.call('ask_operator', { question: `still open ${HOSTILE}` })

    await manager.call('request_spawn', { name: 'evil', description: `spawn me ${HOSTILE}` })
    // JSON.stringify leaves C1 raw, so the proposal's own agent.json (and its diff) carries U+009B.
    const repo = join(daemon.home, 'agents', 'worker', 'config')
    writeFileSync(join(repo, 'agent.json'), JSON.stringify({ description: `proposal \u009b31m\u0085 \u007f`, bash: ['git status'] }, null, 2) + '\n')
    execFileSync('git', ['-c', 'user.name=manager', '-c', 'user.email=manager@hive', 'commit', '--quiet', '-am', 'hostile'], { cwd: repo })
    await manager.call('request_apply_commit', { agent: 'worker', commit_ref: 'HEAD', description: `apply ${HOSTILE}` })

    appendFileSync(join(daemon.home, 'logs', 'worker.log'), `log line ${HOSTILE}\n`)
  })
  afterAll(() => {
    worker.close()
    manager.close()
  })

  it.each([
    ['inbox', ['inbox'], `status ${SHOWN}\n    second line`],
    ['questions', ['questions', '--all'], `which? ${SHOWN}`],
    ['pending', ['pending'], `apply ${SHOWN}`],
    ['logs', ['logs', 'worker'], `log line ${SHOWN}`],
    ['list', ['list'], 'worker'],
  ])('%s shows control characters as escapes', async (_, args, shown) => {
    const r = await daemon.cli(...args)
    expect(r.code, r.stderr).toBe(0)
    expect(terminalControls(r.stdout)).toEqual([])
    expect(r.stdout).toContain(shown)
  })

  it('escapes every agent-supplied field of questions and pending', async () => {
    const questions = (await daemon.cli('questions', '--all')).stdout
    expect(questions).toContain(`options: this ${SHOWN} | that`)
    expect(questions).toContain(`answer: fine ${SHOWN}`)
    expect(questions).toContain(`still open ${SHOWN}`)
    const pending = (await daemon.cli('pending')).stdout
    expect(pending).toContain(`spawn me ${SHOWN}`)
    expect(pending).toContain('+  "description": "proposal \\u009b31m\\u0085 \\x7f",')
  })

  it.each([
    ['inbox', ['inbox', '--json']],
    ['questions', ['questions', '--all', '--json']],
    ['pending', ['pending', '--json']],
    ['logs', ['logs', 'worker', '--json']],
    ['list', ['list', '--json']],
  ])('%s --json escapes C1 and DEL too, and still parses to the text sent', async (_, args) => {
    const r = await daemon.cli(...args)
    expect(r.code, r.stderr).toBe(0)
    expect(terminalControls(r.stdout)).toEqual([])
    const parsed: unknown = JSON.parse(r.stdout)
    if (args[0] !== 'list') expect(JSON.stringify(parsed)).toContain(JSON.stringify(HOSTILE).slice(1, -1))
  })

  it('keeps the exact diff in --json (C1 escaped as \\u009b)', async () => {
    const r = await daemon.cli('pending', '--json')
    expect(r.stdout).toContain('proposal \\u009b31m\\u0085 \\u007f')
    const [apply] = (JSON.parse(r.stdout) as { kind: string; diff?: string }[]).filter((a) => a.kind === 'apply_commit')
    expect(apply?.diff).toContain('"description": "proposal \u009b31m\u0085 \u007f"')
  })
})
