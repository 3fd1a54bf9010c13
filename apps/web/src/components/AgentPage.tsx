'use client'
import { useMutation, useQuery } from '@tanstack/react-query'
import Link from 'next/link'
import { useEffect, useState } from 'react'
import { useTRPC } from '@/lib/trpc'
import { errorText } from '@/lib/errors'
import { ActivityBadge, AsyncButton, Section, StateBadge, formatAge, useNow } from './controls'
import { useLiveEvents } from './LiveProvider'
import { TurnStream, type StreamEvent } from './TurnStream'
import { Terminal } from './Terminal'
import { MessageForm } from './MessageForm'
import { StickyScroll } from './StickyScroll'
import { useToast } from './Toasts'

const STREAM_KEEP = 500

export function AgentPage({ name }: { name: string }) {
  const trpc = useTRPC()
  const toast = useToast()
  const now = useNow()
  const agent = useQuery(trpc.agents.get.queryOptions({ name }))
  const history = useQuery(trpc.agents.stream.queryOptions({ name, limit: 300 }))
  const [events, setEvents] = useState<Map<number, StreamEvent>>(new Map())

  useEffect(() => {
    if (!history.data) return
    setEvents((current) => {
      const next = new Map(current)
      for (const e of history.data) next.set(e.id, e)
      return next
    })
  }, [history.data])
  useLiveEvents((e) => {
    if (e.type !== 'turn.event' || e.event.agent !== name) return
    setEvents((current) => {
      const next = new Map(current)
      next.set(e.event.id, e.event)
      if (next.size > STREAM_KEEP) next.delete(Math.min(...next.keys()))
      return next
    })
  })

  const control = (m: { mutateAsync: (i: { name: string }) => Promise<unknown> }, done: string) => async () => {
    try {
      await m.mutateAsync({ name })
      toast('ok', done)
    } catch (e) {
      toast('error', errorText(e))
    }
  }
  const cancel = useMutation(trpc.agents.cancelTurn.mutationOptions())
  const compact = useMutation(trpc.agents.compact.mutationOptions())
  const newSession = useMutation(trpc.agents.newSession.mutationOptions())

  if (agent.isPending) return <p className="muted">loading {name}…</p>
  if (agent.error) {
    return (
      <>
        <p className="error" role="alert">{agent.error.message}</p>
        <Link href="/">↑ DASHB04RD</Link>
      </>
    )
  }
  const { agent: a, model, last_turn: lastTurn, inbox, config, notes } = agent.data
  const ordered = [...events.values()].sort((x, y) => x.id - y.id)
  return (
    <>
      <nav>
        <Link href="/">↑ DASHB04RD</Link>
      </nav>
      <Section
        title={a.name.toUpperCase()}
        id="agent"
        extra={
          <>
            {' '}
            <StateBadge state={a.state} /> <ActivityBadge activity={a.activity} since={a.activity_since} retryAt={a.retry_at} now={now} />
            {a.isolated ? null : <span className="badge unisolated">UNISOLATED</span>}
          </>
        }
      >
        <div className="chips">
          <ModelChip name={name} effective={model.effective} override={model.override} />
          <span className="chip" aria-label="last turn">
            last turn:{' '}
            {lastTurn
              ? `${lastTurn.ok ? 'ok' : 'failed'} · ${(lastTurn.duration_ms / 1000).toFixed(1)} s · ${lastTurn.tokens_in}↑ ${lastTurn.tokens_out}↓ tokens · ${formatAge(lastTurn.started_at, now)} ago`
              : 'none yet'}
          </span>
        </div>
        <div className="actions">
          {a.activity !== 'idle' ? (
            <AsyncButton label="cancel turn" onClick={control(cancel, 'turn cancelled')}>
              ■ cancel turn
            </AsyncButton>
          ) : null}
          <AsyncButton label="compact session" onClick={control(compact, 'compaction requested')} disabled={a.state !== 'running'}>
            ⇲ compact
          </AsyncButton>
          <AsyncButton label="new session" onClick={control(newSession, 'next turn starts a new session')} disabled={a.state !== 'running'}>
            ✱ new session
          </AsyncButton>
        </div>
      </Section>
      <Section title="L1VE TURN" id="stream">
        <StickyScroll count={ordered.length} className="stream-box">
          <TurnStream events={ordered} />
        </StickyScroll>
      </Section>
      <TerminalSection name={name} />
      <MessageForm label={`message to ${name}`} placeholder={`message ${name}…`} route={(body) => ({ to: name, body })} />
      <Section title="1NB0X" id="agent-inbox">
        {inbox.length === 0 ? <p className="muted">no messages yet</p> : null}
        <ul className="messages" aria-label={`${name} inbox`}>
          {inbox.map((m) => (
            <li key={m.id} className={m.delivered_at ? 'read' : 'unread'}>
              <div className="meta">
                <span className="from">{m.from}</span> <time>{new Date(m.sent_at).toLocaleTimeString()}</time>
                {m.redelivered ? <span className="badge">redelivered</span> : null}
              </div>
              <pre className="body">{m.body}</pre>
            </li>
          ))}
        </ul>
      </Section>
      <Section title="AG3NT.JS0N" id="config">
        <pre className="file" aria-label="agent.json">{config ?? '(none)'}</pre>
      </Section>
      <Section title="N0TES.MD" id="notes">
        <pre className="file" aria-label="notes.md">{notes ?? '(none)'}</pre>
      </Section>
      <LogTail name={name} />
    </>
  )
}

function ModelChip({ name, effective, override }: { name: string; effective: string | null; override: string | null }) {
  const trpc = useTRPC()
  const toast = useToast()
  const [value, setValue] = useState(override ?? '')
  const setModel = useMutation(trpc.settings.setModel.mutationOptions())
  return (
    <form
      className="chip"
      onSubmit={(e) => {
        e.preventDefault()
        setModel.mutate(
          { name, model: value.trim() === '' ? null : value.trim() },
          { onSuccess: () => toast('ok', 'model updated'), onError: (err) => toast('error', errorText(err)) },
        )
      }}
    >
      model: <strong>{effective ?? '—'}</strong>
      {override ? ' (override)' : ''}
      <input aria-label="model override" placeholder="override (empty = none)" value={value} onChange={(e) => setValue(e.target.value)} size={14} />
      <button type="submit" className="btn btn-small" disabled={setModel.isPending}>
        set
      </button>
    </form>
  )
}

function LogTail({ name }: { name: string }) {
  const trpc = useTRPC()
  const [open, setOpen] = useState(false)
  const logs = useQuery({ ...trpc.agents.logs.queryOptions({ name, lines: 200 }), enabled: open })
  return (
    <details className="section" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>◆ L0G T41L ◆</summary>
      {logs.isFetching ? <p className="muted">loading…</p> : null}
      <pre className="file">{logs.data?.lines.join('\n') ?? ''}</pre>
    </details>
  )
}

/** The agent's shell (or an interactive `claude --continue`), opened on demand. */
function TerminalSection({ name }: { name: string }) {
  const [kind, setKind] = useState<'shell' | 'claude' | null>(null)
  return (
    <Section title="T3RM1NAL" id="terminal">
      <div className="actions">
        <button type="button" className="btn" aria-pressed={kind === 'shell'} onClick={() => setKind('shell')}>
          ▸ open shell
        </button>
        <button type="button" className="btn" aria-pressed={kind === 'claude'} onClick={() => setKind('claude')}>
          ▸ attach to claude
        </button>
        {kind ? (
          <button type="button" className="btn" onClick={() => setKind(null)}>
            ✕ close
          </button>
        ) : null}
      </div>
      {kind ? <Terminal key={kind} agent={name} kind={kind} /> : null}
    </Section>
  )
}
