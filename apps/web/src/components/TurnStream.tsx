'use client'
import type { ReactNode } from 'react'

export interface StreamEvent {
  id: number
  ts: number
  kind: string
  payload?: unknown
}

interface Block {
  type: string
  text?: string
  name?: string
  input?: Record<string, unknown>
  content?: unknown
  is_error?: boolean
}

/** Tool results longer than this start collapsed. */
const COLLAPSE_CHARS = 120

const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))

/** One tool call, the way an operator reads it: `Read /path`, `Bash $ cmd`, `send → operator: …`. */
function ToolCall({ block }: { block: Block }) {
  const input = block.input ?? {}
  const name = block.name ?? '?'
  if (name === 'Read' || name === 'Glob' || name === 'Grep') {
    return <div className="tool">{name} {str(input.file_path ?? input.pattern ?? input.path ?? '')}</div>
  }
  if (name === 'Bash') return <div className="tool">Bash $ {str(input.command)}</div>
  if (name.startsWith('mcp__hyperhive__send')) {
    return (
      <div className="tool tool-send">
        send → {str(input.to)}: {str(input.body)}
      </div>
    )
  }
  if (name.startsWith('mcp__hyperhive__')) {
    return <div className="tool">{name.replace('mcp__hyperhive__', '')} {JSON.stringify(input)}</div>
  }
  if (name === 'Write') return <Diff title={`Write ${str(input.file_path)}`} removed="" added={str(input.content ?? '')} />
  if (name === 'Edit') return <Diff title={`Edit ${str(input.file_path)}`} removed={str(input.old_string ?? '')} added={str(input.new_string ?? '')} />
  return <div className="tool">{name} {JSON.stringify(input)}</div>
}

function Diff({ title, removed, added }: { title: string; removed: string; added: string }) {
  return (
    <div className="tool">
      {title}
      <pre className="diff">
        {removed
          .split('\n')
          .filter((l) => removed !== '' || l !== '')
          .map((l, i) => (
            <span key={`r${i}`} className="del">
              - {l}
              {'\n'}
            </span>
          ))}
        {added.split('\n').map((l, i) => (
          <span key={`a${i}`} className="add">
            + {l}
            {'\n'}
          </span>
        ))}
      </pre>
    </div>
  )
}

function ToolResult({ block }: { block: Block }) {
  const text = Array.isArray(block.content) ? (block.content as Block[]).map((c) => c.text ?? '').join('\n') : str(block.content ?? '')
  const cls = block.is_error ? 'result error' : 'result'
  if (text.length <= COLLAPSE_CHARS) return <div className={cls}>↳ {text}</div>
  return (
    <details className={cls}>
      <summary>↳ {text.slice(0, COLLAPSE_CHARS)}… ({text.length} chars)</summary>
      <pre>{text}</pre>
    </details>
  )
}

function renderEvent(e: StreamEvent): ReactNode {
  const p = e.payload as Record<string, unknown> | null
  if (e.kind === 'system:init') return <div className="sys">● session ({str(p?.model)})</div>
  if (e.kind === 'system:status') {
    const status = p?.status
    return status ? <div className="sys">● {str(status)}…</div> : null
  }
  if (e.kind === 'system:compact_boundary') return <div className="sys">● context compacted</div>
  if (e.kind.startsWith('result')) {
    const ok = p?.is_error !== true
    return (
      <div className={ok ? 'sys' : 'sys error'}>
        ■ turn {ok ? 'done' : 'failed'} · {str(p?.duration_ms ?? '?')} ms · ${Number(p?.total_cost_usd ?? 0).toFixed(4)}
        {ok ? null : ` · ${str(p?.result ?? '')}`}
      </div>
    )
  }
  if (e.kind === 'stderr' || e.kind === 'text') return <div className="dim">{str(e.payload)}</div>
  const message = p?.message as { content?: unknown } | undefined
  const content = Array.isArray(message?.content) ? (message.content as Block[]) : []
  if (typeof message?.content === 'string') return <div className="user">{message.content}</div>
  return content.map((b, i) => {
    if (b.type === 'text') return <div key={i} className={e.kind === 'user' ? 'user' : 'say'}>{b.text}</div>
    if (b.type === 'thinking') return <div key={i} className="dim">✎ {str((b as { thinking?: unknown }).thinking)}</div>
    if (b.type === 'tool_use') return <ToolCall key={i} block={b} />
    if (b.type === 'tool_result') return <ToolResult key={i} block={b} />
    return null
  })
}

/** The live turn stream of an agent, rendered for reading. */
export function TurnStream({ events }: { events: StreamEvent[] }) {
  if (events.length === 0) return <p className="muted">no turns yet</p>
  return (
    <ol className="stream" aria-label="turn stream">
      {events.map((e) => (
        <li key={e.id}>{renderEvent(e)}</li>
      ))}
    </ol>
  )
}
