import { describe, expect, it } from 'vitest'
import { HiveError } from '@hive/mcp'
import { HivePaths } from './hive-paths.ts'
import { overlongSocketPath, UNIX_SOCKET_PATH_MAX_BYTES } from './unix-socket-path.ts'

/** A home of exactly `bytes` bytes. */
const homeOf = (bytes: number) => '/' + 'h'.repeat(bytes - 1)

/** The message of what `fn` throws, if it throws a HiveError. */
function refusal(fn: () => void): string | undefined {
  try {
    fn()
    return undefined
  } catch (e) {
    if (e instanceof HiveError) return `${e.code} ${e.message}`
    throw e
  }
}

describe('unix socket paths', () => {
  it('allows 107 bytes and refuses 108, counting UTF-8 bytes', () => {
    expect(overlongSocketPath(['/' + 'a'.repeat(UNIX_SOCKET_PATH_MAX_BYTES - 1)])).toBeUndefined()
    expect(overlongSocketPath(['/' + 'a'.repeat(UNIX_SOCKET_PATH_MAX_BYTES)])).toEqual({ path: '/' + 'a'.repeat(107), bytes: 108 })
    // 'é' is two bytes: 54 of them plus the slash make 109.
    expect(overlongSocketPath(['/' + 'é'.repeat(54)])?.bytes).toBe(109)
  })

  it('names the longest offender among several', () => {
    const paths = ['/short', '/' + 'b'.repeat(110), '/' + 'c'.repeat(120)]
    expect(overlongSocketPath(paths)?.path).toBe(paths[2])
  })
})

describe('HivePaths socket checks', () => {
  // run/agents/<name>/mcp-host.sock is the longest of an agent's sockets: home + 12 + name + 14.
  const home = homeOf(70)

  it("checks every one of an agent's sockets", () => {
    const paths = new HivePaths('/hive')
    expect(paths.agentSockets('w').map((p) => p.slice('/hive/run/agents/w/'.length)).sort()).toEqual(['gateway.sock', 'mcp-host.sock', 'mcp.sock', 'pty.sock'])
  })

  it('lets a name through whose sockets fit, and refuses one character more naming path, size, limit and remedy', () => {
    const paths = new HivePaths(home)
    const fits = 'a'.repeat(107 - 70 - 12 - 14)
    expect(refusal(() => paths.checkAgentSockets(fits))).toBeUndefined()

    const message = refusal(() => paths.checkAgentSockets(fits + 'b'))
    expect(message).toBe(
      `BAD_REQUEST agent name "${fits}b" is too long for HIVE_HOME ${home}: socket path ${paths.agentMcpHostSocket(fits + 'b')} would be 108 bytes, ` +
        `over the 107-byte limit of a unix socket path; use a name of at most ${fits.length} characters, or a shorter HIVE_HOME`,
    )
  })

  it('says only a shorter HIVE_HOME helps when no name would fit', () => {
    const paths = new HivePaths(homeOf(100))
    expect(refusal(() => paths.checkAgentSockets('w'))).toMatch(/; use a shorter HIVE_HOME$/)
  })

  it("refuses at daemon start a home too long for the admin socket or the manager's", () => {
    expect(refusal(() => new HivePaths(homeOf(107 - 33)).checkDaemonSockets())).toBeUndefined()
    const tooLong = homeOf(107 - 32)
    expect(refusal(() => new HivePaths(tooLong).checkDaemonSockets())).toBe(
      `BAD_REQUEST HIVE_HOME ${tooLong} is too long: socket path ${tooLong}/run/agents/manager/mcp-host.sock would be 108 bytes, ` +
        'over the 107-byte limit of a unix socket path; use a HIVE_HOME of at most 74 bytes',
    )
  })
})
