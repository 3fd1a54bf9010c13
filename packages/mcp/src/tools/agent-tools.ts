import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import * as z from 'zod'
import { Limits } from '../protocol/limits.ts'
import { relay, type HiveCall } from './tool-call.ts'

/** `send` and `recv`: the surface every agent has. */
export function registerAgentTools(server: McpServer, call: HiveCall): void {
  server.registerTool(
    'send',
    {
      title: 'Send a message',
      description:
        'Send a message to another agent by name, to "manager", to "operator" (the human, lands in the dashboard inbox) or to "*" (every other live agent).',
      inputSchema: {
        to: z.string().describe('Recipient: an agent name, "manager", "operator" or "*"'),
        body: z.string().describe(`Message text, at most ${Limits.MAX_BODY_BYTES} bytes`),
      },
    },
    ({ to, body }) =>
      relay(() => call('send', { to, body }), ({ ids }) => {
        return `sent to ${to} (${ids.length} message${ids.length === 1 ? '' : 's'})`
      }),
  )

  server.registerTool(
    'recv',
    {
      title: 'Receive a message',
      description:
        `Take the next message from your inbox. wait_seconds 0 (default) answers at once; up to ${Limits.MAX_RECV_WAIT_SECONDS} parks until a message arrives. Use a long recv instead of sleeping.`,
      inputSchema: {
        wait_seconds: z
          .number()
          .min(0)
          .max(Limits.MAX_RECV_WAIT_SECONDS)
          .optional()
          .describe(`Seconds to wait for a message (0..${Limits.MAX_RECV_WAIT_SECONDS}, default 0)`),
      },
    },
    ({ wait_seconds }) =>
      relay(() => call('recv', wait_seconds === undefined ? {} : { wait_seconds }), ({ message, unread }) => {
        if (!message) return '(empty)'
        const banner = message.redelivered ? '[redelivered — may already be handled]\n' : ''
        return `${banner}from: ${message.from}\n${message.body}\n(${unread} more unread)`
      }),
  )
}
