export interface WakeMessage {
  from: string
  body: string
  redelivered: boolean
  broadcast?: boolean
}

/**
 * The minimal prompt a turn starts with: who wrote, what, and how much more is waiting. The
 * model drives further `recv`/`send` itself; the system prompt explains the tools.
 */
export function buildWakePrompt(message: WakeMessage, unread: number): string {
  const lines: string[] = []
  if (message.redelivered) lines.push('[redelivered after a restart — may already be handled; check /state/notes.md]')
  if (message.from === 'system') {
    lines.push('Hive helper event from `system` (JSON; the `event` field says which):')
  } else {
    lines.push(`Message from ${message.from}${message.broadcast ? ' (broadcast to every agent — may need no action)' : ''}:`)
  }
  lines.push('', message.body, '')
  if (unread > 0) {
    lines.push(`(${unread} more unread — drain them with mcp__hyperhive__recv before you finish.)`)
  }
  return lines.join('\n')
}
