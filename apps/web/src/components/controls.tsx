'use client'
import { useEffect, useState, type ReactNode } from 'react'

/** A button that shows a spinner while its action runs and cannot be double-fired. */
export function AsyncButton(props: {
  onClick: () => Promise<unknown>
  children: ReactNode
  label?: string
  className?: string
  disabled?: boolean
}) {
  const [busy, setBusy] = useState(false)
  return (
    <button
      type="button"
      className={props.className ?? 'btn'}
      aria-label={props.label}
      aria-busy={busy}
      disabled={busy || props.disabled}
      onClick={() => {
        setBusy(true)
        void props.onClick().finally(() => setBusy(false))
      }}
    >
      {busy ? <span className="spinner" aria-hidden="true" /> : null}
      {props.children}
    </button>
  )
}

const ARM_MS = 4000

/**
 * Destructive actions take two clicks: the first arms the button ("confirm …") for a few
 * seconds, the second runs it.
 */
export function TwoClickButton(props: { onConfirm: () => Promise<unknown>; children: string; label: string }) {
  const [armed, setArmed] = useState(false)
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    if (!armed) return
    const t = setTimeout(() => setArmed(false), ARM_MS)
    return () => clearTimeout(t)
  }, [armed])
  return (
    <button
      type="button"
      className={`btn btn-danger${armed ? ' armed' : ''}`}
      aria-label={armed ? `confirm ${props.label}` : props.label}
      aria-busy={busy}
      disabled={busy}
      onClick={() => {
        if (!armed) {
          setArmed(true)
          return
        }
        setArmed(false)
        setBusy(true)
        void props.onConfirm().finally(() => setBusy(false))
      }}
    >
      {busy ? <span className="spinner" aria-hidden="true" /> : null}
      {armed ? `✓ confirm ${props.children}` : props.children}
    </button>
  )
}

export function Section(props: { title: string; id: string; children: ReactNode; className?: string; extra?: ReactNode }) {
  return (
    <section className={`section ${props.className ?? ''}`} aria-labelledby={`${props.id}-title`}>
      <h2 id={`${props.id}-title`}>
        ◆ {props.title} ◆{props.extra}
      </h2>
      {props.children}
    </section>
  )
}

export function formatAge(since: number, now: number): string {
  const s = Math.max(0, Math.round((now - since) / 1000))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  if (s < 86_400) return `${Math.floor(s / 3600)}h`
  return `${Math.floor(s / 86_400)}d`
}

/** Re-renders every `ms` so ages and countdowns move. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(t)
  }, [ms])
  return now
}

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge state-${state}`}>{state}</span>
}

/** `model down · 2m · retry in 20s`: an outage says when the agent tries its model again. */
export function ActivityBadge({ activity, since, retryAt, now }: { activity: string; since: number; retryAt: number | null; now: number }) {
  const retry = retryAt === null ? null : retryAt > now ? ` · retry in ${formatAge(now, retryAt)}` : ' · retrying'
  return (
    <span className={`badge activity-${activity}`} data-testid="activity">
      {activity.replace(/^(model|needs)-/, '$1 ')} · {formatAge(since, now)}
      {retry}
    </span>
  )
}
