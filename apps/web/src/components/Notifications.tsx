'use client'
import { useEffect, useState, useSyncExternalStore } from 'react'
import { useLiveEvents } from './LiveProvider'

const STORAGE_KEY = 'hive.notifications'

const neverChanges = () => () => undefined
/**
 * Whether this browser has notifications. The static export was rendered without a browser, so
 * hydration must render as if there were none (a mismatch is React error #418, and React then
 * rebuilds the whole tree, losing an early click); the button appears right after.
 */
function useNotificationsSupported(): boolean {
  return useSyncExternalStore(
    neverChanges,
    () => typeof Notification !== 'undefined',
    () => false,
  )
}

/**
 * Opt-in browser notifications for new questions, approvals and operator mail. Off until the
 * operator clicks; the browser asks for permission then.
 */
export function NotificationsToggle() {
  const supported = useNotificationsSupported()
  const [enabled, setEnabled] = useState(false)
  useEffect(() => setEnabled(localStorage.getItem(STORAGE_KEY) === 'on' && Notification.permission === 'granted'), [])

  useLiveEvents((e) => {
    if (!enabled || document.hasFocus()) return
    if (e.type === 'message.sent' && e.message.to === 'operator') {
      new Notification(`✉ ${e.message.from}`, { body: e.message.body.slice(0, 200), tag: `msg-${e.message.id}` })
    }
    if (e.type === 'approval.requested') {
      const what = e.kind === 'spawn' ? `spawn ${e.agent}` : `config change for ${e.agent}`
      new Notification('◆ P3NDING APPR0VAL', { body: what, tag: `approval-${e.id}` })
    }
    if (e.type === 'question.asked') {
      new Notification('◆ M1ND H4S QU3STI0NS', { body: e.question.slice(0, 200), tag: `question-${e.id}` })
    }
  })

  if (!supported) return null
  return (
    <button
      type="button"
      className="btn btn-small"
      aria-pressed={enabled}
      onClick={() => {
        if (enabled) {
          localStorage.setItem(STORAGE_KEY, 'off')
          setEnabled(false)
          return
        }
        void Notification.requestPermission().then((permission) => {
          const on = permission === 'granted'
          localStorage.setItem(STORAGE_KEY, on ? 'on' : 'off')
          setEnabled(on)
        })
      }}
    >
      {enabled ? '◆ notifications on' : '◇ enable notifications'}
    </button>
  )
}
