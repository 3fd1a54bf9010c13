'use client'
import { useMutation, useQuery } from '@tanstack/react-query'
import type { inferRouterOutputs } from '@trpc/server'
import type { AppRouter } from '@hive/harness/api'
import { useEffect, useRef, useState } from 'react'
import { useTRPC } from '@/lib/trpc'
import { errorText } from '@/lib/errors'
import { useLiveEvents } from './LiveProvider'
import { Section } from './controls'
import { useToast } from './Toasts'

type Message = inferRouterOutputs<AppRouter>['messages']['recent'][number]
const FLOW_LIMIT = 200

/** MESS4GE FL0W: the live broker tail (cyan sent, green delivered) and the compose box. */
export function FlowSection() {
  const trpc = useTRPC()
  // Always refetched on mount: events that arrived while this section was not shown are in it.
  const initial = useQuery({ ...trpc.messages.recent.queryOptions({ limit: FLOW_LIMIT }), staleTime: 0, refetchOnMount: 'always' })
  const [messages, setMessages] = useState<Map<number, Message>>(new Map())

  useEffect(() => {
    if (!initial.data) return
    setMessages((current) => {
      const next = new Map(current)
      for (const m of initial.data) if (!next.has(m.id)) next.set(m.id, m)
      return next
    })
  }, [initial.data])

  useLiveEvents((e) => {
    if (e.type !== 'message.sent' && e.type !== 'message.delivered') return
    setMessages((current) => {
      const next = new Map(current)
      next.set(e.message.id, e.message)
      if (next.size > FLOW_LIMIT) next.delete(Math.min(...next.keys()))
      return next
    })
  })

  const ordered = [...messages.values()].sort((a, b) => a.id - b.id)
  return (
    <Section title="MESS4GE FL0W" id="flow">
      <FlowTail messages={ordered} />
      <Compose />
    </Section>
  )
}

/** Sticks to the bottom while you are there; otherwise counts what arrived below ("↓ N new"). */
function FlowTail({ messages }: { messages: Message[] }) {
  const box = useRef<HTMLOListElement>(null)
  const [atBottom, setAtBottom] = useState(true)
  const [seen, setSeen] = useState(0)
  const newCount = atBottom ? 0 : Math.max(0, messages.length - seen)

  useEffect(() => {
    if (atBottom) {
      box.current?.scrollTo({ top: box.current.scrollHeight })
      setSeen(messages.length)
    }
  }, [messages.length, atBottom])

  return (
    <div className="flow-wrap">
      <ol
        ref={box}
        className="flow"
        aria-label="message flow"
        onScroll={(e) => {
          const el = e.currentTarget
          setAtBottom(el.scrollHeight - el.scrollTop - el.clientHeight < 24)
        }}
      >
        {messages.length === 0 ? <li className="muted">no messages yet</li> : null}
        {messages.map((m) => (
          <li key={m.id} className={m.delivered_at ? 'delivered' : 'sent'} data-testid={`flow-${m.id}`}>
            <time>{new Date(m.sent_at).toLocaleTimeString()}</time> <span className="from">{m.from}</span> →{' '}
            <span className="to">{m.to}</span>
            {m.redelivered ? <span className="badge">redelivered</span> : null}: <span className="body">{m.body}</span>
          </li>
        ))}
      </ol>
      {newCount > 0 ? (
        <button
          type="button"
          className="pill"
          onClick={() => {
            box.current?.scrollTo({ top: box.current.scrollHeight })
            setAtBottom(true)
          }}
        >
          ↓ {newCount} new
        </button>
      ) : null}
    </div>
  )
}

/** `@agent message` → send as the operator. */
function Compose() {
  const trpc = useTRPC()
  const toast = useToast()
  const [text, setText] = useState('')
  const send = useMutation(trpc.messages.send.mutationOptions())
  return (
    <form
      className="compose"
      onSubmit={(e) => {
        e.preventDefault()
        const m = /^@(\S+)\s+([\s\S]+)$/.exec(text.trim())
        if (!m?.[1] || !m[2]) {
          toast('error', 'write "@agent message"')
          return
        }
        send.mutate(
          { to: m[1], body: m[2] },
          {
            onSuccess: () => setText(''),
            onError: (err) => toast('error', errorText(err)),
          },
        )
      }}
    >
      <input aria-label="compose message" placeholder="@agent message" value={text} onChange={(e) => setText(e.target.value)} />
      <button type="submit" className="btn" disabled={send.isPending} aria-busy={send.isPending}>
        {send.isPending ? <span className="spinner" aria-hidden="true" /> : null}S3ND
      </button>
    </form>
  )
}
