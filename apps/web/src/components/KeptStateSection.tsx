'use client'
import { useMutation, useQuery } from '@tanstack/react-query'
import { useTRPC } from '@/lib/trpc'
import { useAction } from '@/lib/use-action'
import { AsyncButton, Section, TwoClickButton } from './controls'

/** K3PT ST4T3: destroyed agents whose state is kept, revivable or purgeable. */
export function KeptStateSection() {
  const trpc = useTRPC()
  const all = useQuery(trpc.agents.list.queryOptions({ all: true }))
  const revive = useMutation(trpc.agents.revive.mutationOptions())
  const destroy = useMutation(trpc.agents.destroy.mutationOptions())
  const tombstones = (all.data ?? []).filter((a) => a.state === 'destroyed')
  const act = useAction()
  return (
    <Section title="K3PT ST4T3" id="kept">
      {tombstones.length === 0 ? <p className="muted">no destroyed agents</p> : null}
      <ul className="list" aria-label="kept state">
        {tombstones.map((a) => (
          <li key={a.name} data-testid={`kept-${a.name}`}>
            <span className="name">{a.name}</span>
            <span className="muted">destroyed {a.destroyed_at ? new Date(a.destroyed_at).toLocaleString() : ''}</span>
            <AsyncButton label={`revive ${a.name}`} onClick={act(() => revive.mutateAsync({ name: a.name }), `${a.name} revived`)}>
              ⊕ R3V1V3
            </AsyncButton>
            <TwoClickButton label={`purge ${a.name}`} onConfirm={act(() => destroy.mutateAsync({ name: a.name, purge: true }), `${a.name} purged`)}>
              PURG3
            </TwoClickButton>
          </li>
        ))}
      </ul>
    </Section>
  )
}
