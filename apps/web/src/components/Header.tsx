'use client'
import { useQuery } from '@tanstack/react-query'
import Link from 'next/link'
import { useTRPC } from '@/lib/trpc'
import { NotificationsToggle } from './Notifications'

export function Header() {
  const trpc = useTRPC()
  const inbox = useQuery(trpc.messages.inbox.queryOptions({}))
  const unread = inbox.data?.unread ?? 0
  return (
    <header className="header">
      <Link href="/" className="logo">
        ◆ HYPERH1VE ◆
      </Link>
      <span className="count" aria-label="operator unread">
        {unread > 0 ? `✉ ${unread} unread` : '✉ 0'}
      </span>
      <NotificationsToggle />
    </header>
  )
}
