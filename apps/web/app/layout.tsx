import type { Metadata } from 'next'
import type { ReactNode } from 'react'
import { Providers } from '@/components/Providers'
import { Header } from '@/components/Header'
import './globals.css'

export const metadata: Metadata = { title: 'hyperhive' }

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>
          <Header />
          <main>{children}</main>
        </Providers>
      </body>
    </html>
  )
}
