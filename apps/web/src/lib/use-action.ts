'use client'
import { useToast } from '@/components/Toasts'
import { errorText } from './errors'

/** Wraps a mutation call: a confirmation toast on success, the daemon's message on failure. */
export function useAction(): (fn: () => Promise<unknown>, done: string) => () => Promise<void> {
  const toast = useToast()
  return (fn, done) => async () => {
    try {
      await fn()
      toast('ok', done)
    } catch (e) {
      toast('error', errorText(e))
    }
  }
}
