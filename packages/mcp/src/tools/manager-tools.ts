import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import * as z from 'zod'
import { Limits } from '../protocol/limits.ts'
import { relay, type HiveCall } from './tool-call.ts'

const agentName = z.string().describe('Agent name (^[a-z][a-z0-9-]{0,30}$)')
const json = (r: unknown) => JSON.stringify(r)

/**
 * Commits the current agent.json of an agent's proposed config repo; runs in the MCP server
 * process (the Node half is tools/config-commit.ts). Expected failures throw HiveError.
 */
export type CommitConfig = (input: { agent: string; message: string }) => Promise<{ sha: string }>

/** The manager's lifecycle and policy-gate tools, on top of the agent surface. */
export function registerManagerTools(server: McpServer, call: HiveCall, commitConfig: CommitConfig): void {
  const lifecycle = [
    ['kill', 'Stop a sub-agent (no approval needed).'],
    ['start', 'Start a stopped sub-agent (no approval needed).'],
    ['restart', 'Stop and start a sub-agent (no approval needed).'],
    ['update', 'Rebuild a sub-agent from its applied config, idempotent (no approval needed).'],
  ] as const
  for (const [op, description] of lifecycle) {
    server.registerTool(op, { title: op, description, inputSchema: { name: agentName } }, ({ name }) =>
      relay(() => call(op, { name }), json),
    )
  }

  server.registerTool(
    'request_spawn',
    {
      title: 'Request a new agent',
      description: 'Queue a spawn request; the operator approves or denies it. The answer arrives as an approval_resolved event.',
      inputSchema: {
        name: agentName,
        description: z.string().optional().describe('Why this agent is needed and what it will do'),
      },
    },
    ({ name, description }) => relay(() => call('request_spawn', { name, description }), json),
  )

  server.registerTool(
    'commit_config',
    {
      title: "Commit an agent's config",
      description:
        "Commit the current /agents/<agent>/config/agent.json (edit it with Read/Write/Edit first) on the repo's main branch. Returns {sha}: pass it as commit_ref to request_apply_commit.",
      inputSchema: {
        agent: agentName,
        message: z.string().describe('Commit message: what changes and why'),
      },
    },
    ({ agent, message }) => relay(() => commitConfig({ agent, message }), json),
  )

  server.registerTool(
    'request_apply_commit',
    {
      title: 'Request applying a config commit',
      description:
        "Submit a commit of an agent's proposed config repo (its agent.json) for operator approval. The commit is pinned at once; the decision arrives as an approval_resolved event, so end your turn.",
      inputSchema: {
        agent: agentName,
        commit_ref: z.string().describe('Commit (the sha commit_config returned, or a ref) in /agents/<agent>/config'),
        description: z.string().optional().describe('What the change does and why'),
      },
    },
    ({ agent, commit_ref, description }) =>
      relay(() => call('request_apply_commit', { agent, commit_ref, description }), json),
  )

  server.registerTool(
    'ask_operator',
    {
      title: 'Ask the operator',
      description:
        'Ask the human operator a question. Returns {question_id} at once; end your turn. The answer arrives later as a system message {event:"operator_answered", id, question, answer}.',
      inputSchema: {
        question: z.string().describe(`The question, 1..${Limits.MAX_QUESTION_CHARS} characters`),
        options: z
          .array(z.string())
          .optional()
          .describe(`Up to ${Limits.MAX_QUESTION_OPTIONS} suggested answers (≤ ${Limits.MAX_OPTION_CHARS} chars each)`),
        multi: z.boolean().optional().describe('Allow choosing several options (only with options)'),
        ttl_seconds: z.number().int().optional().describe('Expire unanswered after this many seconds (30..21600)'),
      },
    },
    ({ question, options, multi, ttl_seconds }) =>
      relay(() => call('ask_operator', { question, options, multi, ttl_seconds }), json),
  )
}
