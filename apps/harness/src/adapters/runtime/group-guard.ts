import { existsSync } from 'node:fs'

const GroupGuard = {
  /**
   * Seconds an orphaned group gets between SIGTERM and SIGKILL (≤ 5 s in all): claude then stops
   * the Bash commands it runs in sessions of their own, which no signal to the group reaches.
   */
  ORPHAN_GRACE_S: 2,
  /**
   * The parent-death signal: one nothing else sends. The kernel sends it again each time a thread
   * of the dying daemon hands the child on to the next, so the trap ignores repeats.
   */
  DEATH_SIGNAL: 'SIGUSR2',
} as const

/**
 * The shell that leads an agent's process group. It ignores the stop signals the daemon sends to
 * the group (the agent handles them) and exits as the agent did (code, or the same signal). On the
 * parent-death signal it stops the whole group: the agent's children (claude, its MCP server)
 * are not the daemon's children, so no parent-death signal of their own reaches them.
 */
const LEADER_SCRIPT = [
  `trap 'trap "" USR2; kill -TERM 0; sleep ${GroupGuard.ORPHAN_GRACE_S}; kill -KILL 0' USR2`,
  `trap '' TERM INT HUP`,
  `"$@" & wait $!`,
  `status=$?`,
  `if [ "$status" -gt 128 ]; then trap - TERM INT HUP; kill -s "$(kill -l "$status")" $$; fi`,
  `exit "$status"`,
].join('; ') // one line: readable in ps

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p))

/** Whether `guardGroup` can tie a group to the daemon's life here (util-linux `setpriv`). */
export const canGuardGroups = SETPRIV !== undefined

/**
 * argv that runs `argv` in a process group that dies with the process spawning it, even when that
 * one is SIGKILLed: `setpriv --pdeathsig` (Linux) on the group's leader, a shell that then stops
 * the group. Spawn it as its own group (`detached`). Without setpriv, `argv` as it is.
 * It is no containment: a process that leaves the group (setsid) escapes it.
 */
export function guardGroup(argv: readonly string[]): string[] {
  if (SETPRIV === undefined) return [...argv]
  return [SETPRIV, '--pdeathsig', GroupGuard.DEATH_SIGNAL, '--', '/bin/sh', '-c', LEADER_SCRIPT, 'hive-group', ...argv]
}
