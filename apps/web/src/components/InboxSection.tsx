'use client'
import { useMutation, useQuery } from '@tanstack/react-query'
import { useTRPC } from '@/lib/trpc'
import { errorText } from '@/lib/errors'
import { AsyncButton, Section } from './controls'
import { useToast } from './Toasts'

/** 0PER4T0R 1NB0X: the last 50 messages agents sent to the operator. */
export function InboxSection() {
  const trpc = useTRPC()
  const toast = useToast()
  const inbox = useQuery(trpc.messages.inbox.queryOptions({}))
  const markRead = useMutation(trpc.messages.markRead.mutationOptions())
  const mark = (id?: number) => async () => {
    try {
      await markRead.mutateAsync(id === undefined ? {} : { id })
    } catch (e) {
      toast('error', errorText(e))
    }
  }
  const unread = inbox.data?.unread ?? 0
  return (
    <Section
      title="0PER4T0R 1NB0X"
      id="inbox"
      extra={<span className="count" aria-label="unread operator messages">{unread} unread</span>}
    >
      {unread > 0 ? (
        <AsyncButton label="mark all read" onClick={mark()}>
          ✓ mark all read
        </AsyncButton>
      ) : null}
      {inbox.isPending ? <p className="muted">loading…</p> : null}
      {inbox.data?.messages.length === 0 ? <p className="muted">nothing for you yet</p> : null}
      <ul className="messages" aria-label="operator inbox">
        {inbox.data?.messages.map((m) => (
          <li key={m.id} className={m.delivered_at ? 'read' : 'unread'}>
            <div className="meta">
              <span className="from">{m.from}</span>
              <time>{new Date(m.sent_at).toLocaleTimeString()}</time>
              {m.delivered_at ? null : (
                <AsyncButton className="btn btn-small" label={`mark message ${m.id} read`} onClick={mark(m.id)}>
                  ✓
                </AsyncButton>
              )}
            </div>
            <pre className="body">{m.body}</pre>
          </li>
        ))}
      </ul>
    </Section>
  )
}
