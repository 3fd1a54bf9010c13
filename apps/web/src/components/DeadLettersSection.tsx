'use client'
import { useMutation, useQuery } from '@tanstack/react-query'
import { useTRPC } from '@/lib/trpc'
import { errorText } from '@/lib/errors'
import { AsyncButton, Section } from './controls'
import { useToast } from './Toasts'

/** D34D L3TT3RS: messages whose turns kept failing, out of their queue until retried or discarded. */
export function DeadLettersSection() {
  const trpc = useTRPC()
  const toast = useToast()
  const letters = useQuery(trpc.messages.deadLetters.queryOptions({}))
  const retry = useMutation(trpc.messages.retryDeadLetter.mutationOptions())
  const discard = useMutation(trpc.messages.discardDeadLetter.mutationOptions())
  const act = (run: () => Promise<unknown>, done: string) => async () => {
    try {
      await run()
      toast('ok', done)
    } catch (e) {
      toast('error', errorText(e))
    }
  }
  const rows = letters.data?.dead_letters ?? []
  const more = (letters.data?.next_before ?? null) !== null
  return (
    <Section title="D34D L3TT3RS" id="dead-letters" extra={<span className="count">{more ? `${rows.length}+` : rows.length}</span>}>
      {letters.isPending ? <p className="muted">loading…</p> : null}
      {letters.data?.dead_letters.length === 0 ? <p className="muted">no message failed too often</p> : null}
      <ul className="messages" aria-label="dead letters">
        {rows.map((m) => (
          <li key={m.id} className="dead-letter">
            <div className="meta">
              <span className="from">
                #{m.id} {m.from} → {m.to}
              </span>
              <span className="muted">{m.attempts} attempts</span>
              <AsyncButton className="btn btn-small" label={`retry message ${m.id}`} onClick={act(() => retry.mutateAsync({ id: m.id }), `message ${m.id} requeued`)}>
                ↻ retry
              </AsyncButton>
              <AsyncButton className="btn btn-small" label={`discard message ${m.id}`} onClick={act(() => discard.mutateAsync({ id: m.id }), `message ${m.id} discarded`)}>
                ✕ discard
              </AsyncButton>
            </div>
            {m.last_error ? <pre className="error">{m.last_error}</pre> : null}
            <pre className="body">{m.body}</pre>
          </li>
        ))}
      </ul>
      {more ? <p className="muted">older dead letters: `hive dead-letters --limit 500`</p> : null}
    </Section>
  )
}
