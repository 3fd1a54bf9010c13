'use client'
import { useMutation } from '@tanstack/react-query'
import { useState } from 'react'
import { useTRPC } from '@/lib/trpc'
import { errorText } from '@/lib/errors'
import { useToast } from './Toasts'

/**
 * A one-line "send as the operator" form. `route` turns the typed text into a recipient and body,
 * or into an error to show.
 */
export function MessageForm(props: { label: string; placeholder: string; route: (text: string) => { to: string; body: string } | string }) {
  const trpc = useTRPC()
  const toast = useToast()
  const [text, setText] = useState('')
  const send = useMutation(trpc.messages.send.mutationOptions())
  return (
    <form
      className="compose"
      onSubmit={(e) => {
        e.preventDefault()
        if (!text.trim()) return
        const routed = props.route(text)
        if (typeof routed === 'string') {
          toast('error', routed)
          return
        }
        send.mutate(routed, { onSuccess: () => setText(''), onError: (err) => toast('error', errorText(err)) })
      }}
    >
      <input aria-label={props.label} placeholder={props.placeholder} value={text} onChange={(e) => setText(e.target.value)} />
      <button type="submit" className="btn" disabled={send.isPending} aria-busy={send.isPending}>
        {send.isPending ? <span className="spinner" aria-hidden="true" /> : null}S3ND
      </button>
    </form>
  )
}
