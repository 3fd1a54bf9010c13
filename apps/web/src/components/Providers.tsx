'use client'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client'
import type { AppRouter } from '@hive/harness/api'
import { useState, type ReactNode } from 'react'
import { TRPCProvider } from '@/lib/trpc'
import { ToastProvider } from './Toasts'
import { LiveProvider } from './LiveProvider'

const API = '/api/trpc'

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          // Live events invalidate what changed; no background polling.
          queries: { staleTime: 30_000, refetchOnWindowFocus: false, retry: 1 },
        },
      }),
  )
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (op) => op.type === 'subscription',
          true: httpSubscriptionLink({ url: API }),
          false: httpBatchLink({ url: API }),
        }),
      ],
    }),
  )
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <ToastProvider>
          <LiveProvider>{children}</LiveProvider>
        </ToastProvider>
      </TRPCProvider>
    </QueryClientProvider>
  )
}
