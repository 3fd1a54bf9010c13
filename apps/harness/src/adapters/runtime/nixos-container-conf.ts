import type { AgentConfig } from '../../domain/agent-config.ts'

/** What the daemon keeps in /etc/nixos-containers/<container>.conf (container@.service's EnvironmentFile). */
export interface ContainerConf {
  /** `path:<applied repo>`: also how the daemon knows the container is this agent's. */
  flake: string
  /** Digest of what the last build read (agent-flake.ts): a different one means update first. */
  digest: string
  uidBase: number
  /** EXTRA_NSPAWN_FLAGS: private users, binds, scratch tmpfs (the same list nix/agent.nix derives). */
  nspawnFlags: string[]
}

const DIGEST_MARK = '# hyperhive-digest: '

/**
 * Flags go into EXTRA_NSPAWN_FLAGS, which nixos-container's start script expands unquoted: each
 * must be one word with no character the shell would split, glob or expand.
 */
const PLAIN_FLAG = /^--[a-z-]+(=[A-Za-z0-9._/@+=,:-]*)?$/

/**
 * The whole file, rewritten at every start. The network is private with no veth (only `lo`
 * inside; the agent's way out is its sockets), so the addresses `nixos-container create` picked
 * are cleared. PRIVATE_USERS makes newer start scripts idmap the /nix binds; the explicit
 * `--private-users=` flag in EXTRA_NSPAWN_FLAGS covers older ones.
 */
export function renderContainerConf(conf: ContainerConf): string {
  for (const flag of conf.nspawnFlags) {
    if (!PLAIN_FLAG.test(flag)) throw new Error(`nspawn flag ${JSON.stringify(flag)} has characters the start script would split or expand (a path with spaces?)`)
  }
  if (!/^path:\/[A-Za-z0-9._/@+=,:-]*$/.test(conf.flake)) throw new Error(`flake reference ${JSON.stringify(conf.flake)} is not a plain path: reference`)
  return [
    '# Written by hyperhive at every start of the agent; edits are overwritten.',
    `${DIGEST_MARK}${conf.digest}`,
    'PRIVATE_NETWORK=1',
    'HOST_ADDRESS=',
    'LOCAL_ADDRESS=',
    'HOST_ADDRESS6=',
    'LOCAL_ADDRESS6=',
    'HOST_BRIDGE=',
    'HOST_PORT=',
    // The daemon starts its agents; a boot of the host does not.
    'AUTO_START=0',
    `FLAKE=${conf.flake}`,
    `PRIVATE_USERS=${String(conf.uidBase)}`,
    `EXTRA_NSPAWN_FLAGS="${conf.nspawnFlags.join(' ')}"`,
    '',
  ].join('\n')
}

/** The FLAKE= and digest of a conf file: who owns the container, and what it was built from. */
export function readContainerConf(text: string): { flake: string | null; digest: string | null } {
  const flake = /^FLAKE=(.*)$/m.exec(text)?.[1]?.trim() ?? null
  const digest = text.split('\n').find((l) => l.startsWith(DIGEST_MARK))?.slice(DIGEST_MARK.length).trim() ?? null
  return { flake, digest }
}

/**
 * A drop-in for container@<container>.service: the agent's limits (nix/agent.nix serviceLimits),
 * and no restart by systemd: the daemon decides what a crash means, as with nspawn.
 */
export function renderLimitsDropIn(limits: AgentConfig['limits']): string {
  return [
    '# Written by hyperhive at every start of the agent (its agent.json limits).',
    '[Service]',
    `MemoryMax=${String(limits.memoryMB)}M`,
    `TasksMax=${String(limits.pids)}`,
    `CPUWeight=${String(limits.cpuWeight)}`,
    'Restart=no',
    '',
  ].join('\n')
}
