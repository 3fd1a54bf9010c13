'use client'
import { useMutation, useQuery } from '@tanstack/react-query'
import type { QuestionView } from '@hive/harness/api'
import { useEffect, useState } from 'react'
import { useTRPC } from '@/lib/trpc'
import { errorText } from '@/lib/errors'
import { TwoClickButton, useNow } from './controls'
import { useToast } from './Toasts'

function countdown(deadline: number, now: number): string {
  const s = Math.max(0, Math.ceil((deadline - now) / 1000))
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
}

/**
 * ◆ M1ND H4S QU3STI0NS ◆: at the top, only while the manager waits for answers. Options are radio
 * buttons (checkboxes when several may be chosen) plus free text; the page title carries the count.
 */
export function QuestionsSection() {
  const trpc = useTRPC()
  const pending = useQuery(trpc.questions.pending.queryOptions({}))
  const count = pending.data?.length ?? 0

  useEffect(() => {
    document.title = count > 0 ? `(${count}) ◆ hyperhive` : 'hyperhive'
  }, [count])

  return (
    <>
      {count > 0 ? (
        <section className="section questions" aria-labelledby="questions-title">
          <h2 id="questions-title">◆ M1ND H4S QU3STI0NS ◆</h2>
          {pending.data?.map((q) => <QuestionForm key={q.id} q={q} />)}
        </section>
      ) : null}
      <QuestionHistory />
    </>
  )
}

function QuestionForm({ q }: { q: QuestionView }) {
  const trpc = useTRPC()
  const toast = useToast()
  const now = useNow()
  const [chosen, setChosen] = useState<string[]>([])
  const [text, setText] = useState('')
  const answer = useMutation(trpc.questions.answer.mutationOptions())
  const cancel = useMutation(trpc.questions.cancel.mutationOptions())
  const toggle = (option: string, on: boolean) =>
    setChosen((c) => (q.multi ? (on ? [...c, option] : c.filter((x) => x !== option)) : on ? [option] : []))
  return (
    <form
      className="question"
      aria-label={`question ${q.id}`}
      onSubmit={(e) => {
        e.preventDefault()
        answer.mutate(
          { id: q.id, options: chosen, text },
          { onSuccess: () => toast('ok', `answered — ${q.asker} wakes with it`), onError: (err) => toast('error', errorText(err)) },
        )
      }}
    >
      <div className="meta">
        <span className="from">{q.asker}</span> asks
        {q.deadline_at ? <span className="ttl" aria-label="time left">⏳ {countdown(q.deadline_at, now)}</span> : null}
      </div>
      <p className="question-text">{q.question}</p>
      {q.options.length > 0 ? (
        <fieldset>
          <legend>{q.multi ? 'choose any' : 'choose one'}</legend>
          {q.options.map((o) => (
            <label key={o} className="option">
              <input
                type={q.multi ? 'checkbox' : 'radio'}
                name={`q-${q.id}`}
                checked={chosen.includes(o)}
                onChange={(e) => toggle(o, e.target.checked)}
              />
              {o}
            </label>
          ))}
        </fieldset>
      ) : null}
      <input aria-label="or type your own answer" placeholder="or type your own…" value={text} onChange={(e) => setText(e.target.value)} className="wide" />
      <div className="actions">
        <button type="submit" className="btn" disabled={answer.isPending} aria-busy={answer.isPending}>
          {answer.isPending ? <span className="spinner" aria-hidden="true" /> : null}◆ ANSW3R
        </button>
        <TwoClickButton
          label={`cancel question ${q.id}`}
          onConfirm={() => cancel.mutateAsync({ id: q.id }).catch((e: unknown) => toast('error', errorText(e)))}
        >
          cancel
        </TwoClickButton>
      </div>
    </form>
  )
}

function QuestionHistory() {
  const trpc = useTRPC()
  const history = useQuery(trpc.questions.history.queryOptions({}))
  if (!history.data?.length) return null
  return (
    <details className="section">
      <summary>◆ ANSW3R3D QU3STI0NS ◆ ({history.data.length})</summary>
      <ul className="messages" aria-label="answered questions">
        {history.data.map((q) => (
          <li key={q.id}>
            <div className="meta">
              <span className="from">{q.asker}</span> #{q.id} · {q.status}
              {q.answered_at ? <time>{new Date(q.answered_at).toLocaleTimeString()}</time> : null}
            </div>
            <pre className="body">{q.question}</pre>
            <pre className="body answer">→ {q.answer}</pre>
          </li>
        ))}
      </ul>
    </details>
  )
}
