'use client'
import { useQuery } from '@tanstack/react-query'
import type { inferRouterOutputs } from '@trpc/server'
import type { AppRouter } from '@hive/harness/api'
import { useEffect, useState } from 'react'
import { useTRPC } from '@/lib/trpc'
import { useLiveEvents } from './LiveProvider'
import { Section } from './controls'
import { MessageForm } from './MessageForm'
import { StickyScroll } from './StickyScroll'

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
      <StickyScroll count={ordered.length} className="flow">
        <ol aria-label="message flow" className="plain">
          {ordered.length === 0 ? <li className="muted">no messages yet</li> : null}
          {ordered.map((m) => (
            <li key={m.id} className={m.delivered_at ? 'delivered' : 'sent'} data-testid={`flow-${m.id}`}>
              <time>{new Date(m.sent_at).toLocaleTimeString()}</time> <span className="from">{m.from}</span> →{' '}
              <span className="to">{m.to}</span>
              {m.redelivered ? <span className="badge">redelivered</span> : null}: <span className="body">{m.body}</span>
            </li>
          ))}
        </ol>
      </StickyScroll>
      <MessageForm label="compose message" placeholder="@agent message" route={routeCompose} />
    </Section>
  )
}

/** `@agent message` → send as the operator. */
function routeCompose(text: string): { to: string; body: string } | string {
  const m = /^@(\S+)\s+([\s\S]+)$/.exec(text.trim())
  return m?.[1] && m[2] ? { to: m[1], body: m[2] } : 'write "@agent message"'
}
