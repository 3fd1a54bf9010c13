'use client'
import { useQueryClient } from '@tanstack/react-query'
import { useSubscription } from '@trpc/tanstack-react-query'
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import type { LiveEvent } from '@hive/harness/api'
import { useTRPC } from '@/lib/trpc'

type Listener = (e: LiveEvent) => void

const LiveContext = createContext<{ subscribe: (l: Listener) => () => void }>({
  subscribe: () => () => undefined,
})

/**
 * One live subscription for the whole page. It starts after the sequence number the daemon had
 * when the page loaded its data, so no event is applied twice; each event invalidates exactly
 * the queries it changes, and components can listen for the raw events (turn stream, flow).
 */
export function LiveProvider({ children }: { children: ReactNode }) {
  const trpc = useTRPC()
  const queryClient = useQueryClient()
  const listeners = useRef(new Set<Listener>())
  const [after, setAfter] = useState<number | null>(null)
  const lastSeq = useRef(0)

  useEffect(() => {
    void queryClient.fetchQuery(trpc.live.seq.queryOptions()).then(({ seq }) => {
      lastSeq.current = seq
      setAfter(seq)
    })
  }, [queryClient, trpc])

  useSubscription(
    trpc.live.events.subscriptionOptions(
      { after: after ?? 0 },
      {
        enabled: after !== null,
        onData: (item) => {
          if (item.seq <= lastSeq.current && !item.resync) return
          lastSeq.current = item.seq
          if (item.resync) {
            void queryClient.invalidateQueries()
            return
          }
          const e = item.event as LiveEvent
          invalidateFor(e)
          for (const l of listeners.current) l(e)
        },
      },
    ),
  )

  function invalidateFor(e: LiveEvent): void {
    const q = (key: readonly unknown[]) => void queryClient.invalidateQueries({ queryKey: key })
    switch (e.type) {
      case 'message.sent':
      case 'message.delivered':
      case 'message.read':
        q(trpc.messages.inbox.queryKey())
        q(trpc.agents.list.queryKey())
        q(trpc.agents.get.queryKey())
        break
      case 'agents.changed':
      case 'agent.activity':
      case 'turn.ended':
        q(trpc.agents.list.queryKey())
        q(trpc.agents.get.queryKey())
        break
      case 'turn.event':
        break
      case 'questions.changed':
        q(trpc.questions.pending.queryKey())
        q(trpc.questions.history.queryKey())
        break
      case 'question.asked':
        break
      case 'approvals.changed':
        q(trpc.approvals.pending.queryKey())
        q(trpc.approvals.history.queryKey())
        break
      case 'approval.requested':
        break
      case 'dead_letters.changed':
        q(trpc.messages.deadLetters.queryKey())
        break
    }
  }

  const subscribe = useCallback((l: Listener) => {
    listeners.current.add(l)
    return () => void listeners.current.delete(l)
  }, [])
  const value = useMemo(() => ({ subscribe }), [subscribe])
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>
}

export function useLiveEvents(listener: Listener): void {
  const { subscribe } = useContext(LiveContext)
  const ref = useRef(listener)
  ref.current = listener
  useEffect(() => subscribe((e) => ref.current(e)), [subscribe])
}
