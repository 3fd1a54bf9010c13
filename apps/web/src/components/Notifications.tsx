'use client'
import { useEffect, useState } from 'react'
import { useLiveEvents } from './LiveProvider'

const STORAGE_KEY = 'hive.notifications'

/**
 * Opt-in browser notifications for new questions, approvals and operator mail. Off until the
 * operator clicks; the browser asks for permission then.
 */
export function NotificationsToggle() {
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

  if (typeof Notification === 'undefined') return null
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
