/**
 * Hosts the claude CLI itself needs for an agent's own login and token refresh when the agent is
 * logged in with its own account (no operator key): the API, the claude.ai / Console OAuth flow.
 * From Claude Code's network-configuration documentation ("Network access requirements"); model
 * requests go through the gateway, not through these.
 */
export const CLAUDE_CLI_HOSTS: readonly string[] = ['api.anthropic.com:443', 'claude.ai:443', 'platform.claude.com:443', 'console.anthropic.com:443']
