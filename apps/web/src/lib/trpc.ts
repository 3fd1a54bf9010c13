'use client'
import type { AppRouter } from '@hive/harness/api'
import { createTRPCContext } from '@trpc/tanstack-react-query'

/** Typed hooks for the harness's API; only the router *type* crosses from the harness. */
export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>()
