'use client'
import { useSearchParams } from 'next/navigation'
import { Suspense } from 'react'
import { AgentPage } from '@/components/AgentPage'

function AgentFromQuery() {
  const name = useSearchParams().get('name') ?? ''
  return name ? <AgentPage key={name} name={name} /> : <p className="error">no agent name in the URL</p>
}

/** `/agent?name=<agent>`: a static export has no dynamic routes, so the name is a query parameter. */
export default function Page() {
  return (
    <Suspense fallback={<p className="muted">loading…</p>}>
      <AgentFromQuery />
    </Suspense>
  )
}
