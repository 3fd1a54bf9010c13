import { fileURLToPath } from 'node:url'

/** Where this install's own files are (the repo, or the built package): computed here only. */
export const InstallPaths = {
  /** `hive-agent`: the in-container entry (turn loop, MCP server). */
  AGENT_BIN: fileURLToPath(new URL('../../bin/hive-agent.mjs', import.meta.url)),
  /** System prompts of the roles and the notes compactor. */
  PROMPTS_DIR: fileURLToPath(new URL('../../prompts', import.meta.url)),
  /** The dashboard's static export (`npm run build -w @hive/web`). */
  WEB_OUT: fileURLToPath(new URL('../../../web/out', import.meta.url)),
  /** The agent container template of the nixos-container runtime (nix/agent.nix and what it imports). */
  NIX_TEMPLATE: fileURLToPath(new URL('../../../../nix', import.meta.url)),
  /** The install (the repo): containers see it read-only at /project. */
  PROJECT_ROOT: fileURLToPath(new URL('../../../../', import.meta.url)),
} as const
