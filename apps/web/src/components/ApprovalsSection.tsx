'use client'
import { useMutation, useQuery } from '@tanstack/react-query'
import type { ApprovalView } from '@hive/harness/api'
import { useState } from 'react'
import { useTRPC } from '@/lib/trpc'
import { errorText } from '@/lib/errors'
import { AsyncButton, Section, TwoClickButton, formatAge, useNow } from './controls'
import { useToast } from './Toasts'

/**
 * P3NDING APPR0VALS: spawns and config commits wait here for the operator. A config commit shows
 * its diff against what runs; approving runs the action now, denying sends the note to the manager.
 */
export function ApprovalsSection() {
  const trpc = useTRPC()
  const pending = useQuery(trpc.approvals.pending.queryOptions({}))
  const count = pending.data?.length ?? 0
  return (
    <Section title="P3NDING APPR0VALS" id="approvals" className={count > 0 ? 'attention' : ''} extra={count > 0 ? <span className="count"> ({count})</span> : null}>
      <RequestSpawnForm />
      {pending.isPending ? <p className="muted">loading…</p> : null}
      {pending.error ? <p className="error">{pending.error.message}</p> : null}
      {pending.data && count === 0 ? <p className="muted">nothing waits for a decision</p> : null}
      {pending.data?.map((a) => <PendingApproval key={a.id} a={a} />)}
      <ApprovalHistory />
    </Section>
  )
}

function describe(a: ApprovalView): string {
  return a.kind === 'spawn' ? `spawn ${a.agent}` : `apply ${a.sha?.slice(0, 12) ?? '?'} to ${a.agent}`
}

function PendingApproval({ a }: { a: ApprovalView }) {
  const trpc = useTRPC()
  const toast = useToast()
  const now = useNow()
  const [note, setNote] = useState('')
  const approve = useMutation(trpc.approvals.approve.mutationOptions())
  const deny = useMutation(trpc.approvals.deny.mutationOptions())
  return (
    <article className="approval" aria-label={`approval ${a.id}`}>
      <div className="meta">
        #{a.id} <span className="from">{describe(a)}</span> · {formatAge(a.requested_at, now)} ago
      </div>
      {a.description ? <p className="approval-text">{a.description}</p> : null}
      {a.diff !== undefined ? <Diff text={a.diff} /> : null}
      <div className="actions">
        <AsyncButton
          label={`approve approval ${a.id}`}
          onClick={() =>
            approve
              .mutateAsync({ id: a.id })
              .then((r) => toast(r.status === 'failed' ? 'error' : 'ok', `${describe(a)}: ${r.status}${r.note ? ` — ${r.note}` : ''}`))
              .catch((e: unknown) => toast('error', errorText(e)))
          }
        >
          ◆ APPR0VE
        </AsyncButton>
        <input aria-label={`deny note for approval ${a.id}`} placeholder="reason (sent to the manager)" value={note} onChange={(e) => setNote(e.target.value)} />
        <TwoClickButton
          label={`deny approval ${a.id}`}
          onConfirm={() =>
            deny
              .mutateAsync({ id: a.id, ...(note.trim() ? { note: note.trim() } : {}) })
              .then(() => toast('ok', `${describe(a)}: denied`))
              .catch((e: unknown) => toast('error', errorText(e)))
          }
        >
          DENY
        </TwoClickButton>
      </div>
    </article>
  )
}

function Diff({ text }: { text: string }) {
  return (
    <details open>
      <summary>diff against the applied config</summary>
      <pre className="diff file" aria-label="proposed change">
        {text.split('\n').map((line, i) => (
          <div key={i} className={line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : undefined}>
            {line || ' '}
          </div>
        ))}
      </pre>
    </details>
  )
}

function RequestSpawnForm() {
  const trpc = useTRPC()
  const toast = useToast()
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const request = useMutation(trpc.approvals.requestSpawn.mutationOptions())
  return (
    <form
      className="inline-form"
      aria-label="request a spawn"
      onSubmit={(e) => {
        e.preventDefault()
        request.mutate(
          { name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}) },
          {
            onSuccess: (a) => {
              toast('ok', `spawn of ${a.agent} queued as approval #${a.id}`)
              setName('')
              setDescription('')
            },
            onError: (err) => toast('error', errorText(err)),
          },
        )
      }}
    >
      <label>
        request
        <input aria-label="requested agent name" placeholder="name" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <input aria-label="what the agent is for" placeholder="what it is for" value={description} onChange={(e) => setDescription(e.target.value)} className="wide" />
      <button type="submit" className="btn" disabled={request.isPending || name.trim() === ''} aria-busy={request.isPending}>
        {request.isPending ? <span className="spinner" aria-hidden="true" /> : null}⊕ R3QU3ST
      </button>
    </form>
  )
}

function ApprovalHistory() {
  const trpc = useTRPC()
  const history = useQuery(trpc.approvals.history.queryOptions({}))
  if (!history.data?.length) return null
  return (
    <details>
      <summary>decided ({history.data.length})</summary>
      <ul className="messages" aria-label="decided approvals">
        {history.data.map((a) => (
          <li key={a.id}>
            <div className="meta">
              #{a.id} <span className="from">{describe(a)}</span> · <span className={`status-${a.status}`}>{a.status}</span>
              {a.resolved_at ? <time>{new Date(a.resolved_at).toLocaleTimeString()}</time> : null}
            </div>
            {a.note ? <pre className="body">{a.note}</pre> : null}
          </li>
        ))}
      </ul>
    </details>
  )
}
