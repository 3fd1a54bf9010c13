'use client'
import { useMutation, useQuery } from '@tanstack/react-query'
import Link from 'next/link'
import { useState } from 'react'
import { useTRPC } from '@/lib/trpc'
import { errorText } from '@/lib/errors'
import { useAction } from '@/lib/use-action'
import { ActivityBadge, AsyncButton, Section, StateBadge, TwoClickButton, useNow } from './controls'
import { useToast } from './Toasts'

/** C0NTAINERS: every live agent with its state and lifecycle buttons, and the spawn form. */
export function ContainersSection() {
  const trpc = useTRPC()
  const now = useNow()
  const agents = useQuery(trpc.agents.list.queryOptions({}))
  const act = useAction()
  const start = useMutation(trpc.agents.start.mutationOptions())
  const stop = useMutation(trpc.agents.stop.mutationOptions())
  const restart = useMutation(trpc.agents.restart.mutationOptions())
  const destroy = useMutation(trpc.agents.destroy.mutationOptions())

  return (
    <Section title="C0NTAINERS" id="containers">
      <SpawnForm />
      {agents.isPending ? <p className="muted">loading…</p> : null}
      {agents.error ? <p className="error">{agents.error.message}</p> : null}
      {agents.data && agents.data.length === 0 ? <p className="muted">no agents yet</p> : null}
      {agents.data && agents.data.length > 0 ? (
        <table className="table" aria-label="containers">
          <thead>
            <tr>
              <th>name</th>
              <th>state</th>
              <th>activity</th>
              <th>unread</th>
              <th>runtime</th>
              <th>actions</th>
            </tr>
          </thead>
          <tbody>
            {agents.data.map((a) => (
              <tr key={a.name} data-testid={`container-${a.name}`}>
                <td>
                  <Link href={`/agent?name=${a.name}`}>{a.name}</Link>
                  {a.role === 'manager' ? <span className="badge role">m1nd</span> : null}
                </td>
                <td>
                  <StateBadge state={a.state} />
                </td>
                <td>
                  <ActivityBadge activity={a.activity} since={a.activity_since} retryAt={a.retry_at} now={now} />
                </td>
                <td>{a.unread}</td>
                <td>
                  {a.runtime}
                  {a.isolated ? null : <span className="badge unisolated" title="agents run as plain host processes">UNISOLATED</span>}
                </td>
                <td className="actions">
                  {a.state === 'running' ? (
                    <>
                      <AsyncButton label={`stop ${a.name}`} onClick={act(() => stop.mutateAsync({ name: a.name }), `${a.name} stopped`)}>
                        ■ ST0P
                      </AsyncButton>
                      <AsyncButton
                        label={`restart ${a.name}`}
                        onClick={act(() => restart.mutateAsync({ name: a.name }), `${a.name} restarted`)}
                      >
                        ↻ R3START
                      </AsyncButton>
                    </>
                  ) : (
                    <AsyncButton label={`start ${a.name}`} onClick={act(() => start.mutateAsync({ name: a.name }), `${a.name} started`)}>
                      ▶ ST4RT
                    </AsyncButton>
                  )}
                  {a.role === 'manager' ? null : (
                    <>
                      <TwoClickButton
                        label={`destroy ${a.name}`}
                        onConfirm={act(() => destroy.mutateAsync({ name: a.name, purge: false }), `${a.name} destroyed (state kept)`)}
                      >
                        DESTR0Y
                      </TwoClickButton>
                      <TwoClickButton
                        label={`purge ${a.name}`}
                        onConfirm={act(() => destroy.mutateAsync({ name: a.name, purge: true }), `${a.name} purged`)}
                      >
                        PURG3
                      </TwoClickButton>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Section>
  )
}

function SpawnForm() {
  const trpc = useTRPC()
  const toast = useToast()
  const [name, setName] = useState('')
  const spawn = useMutation(trpc.agents.spawn.mutationOptions())
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault()
        spawn.mutate(
          { name: name.trim() },
          {
            onSuccess: (a) => {
              toast('ok', `spawned ${a.name}`)
              setName('')
            },
            onError: (err) => toast('error', errorText(err)),
          },
        )
      }}
    >
      <label>
        new agent
        <input aria-label="new agent name" placeholder="name (a-z0-9-)" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <button type="submit" className="btn" disabled={spawn.isPending || name.trim() === ''} aria-busy={spawn.isPending}>
        {spawn.isPending ? <span className="spinner" aria-hidden="true" /> : null}⊕ SP4WN
      </button>
    </form>
  )
}
