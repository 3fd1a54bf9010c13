import type { NextConfig } from 'next'

// A static export served by `hive serve` on the same origin as the API. During `next dev`, API
// calls are proxied to a running daemon (HIVE_URL, default http://127.0.0.1:7000).
const config: NextConfig = {
  output: 'export',
  // The terminal's wire frames come as TypeScript from the protocol package.
  transpilePackages: ['@hive/mcp'],
  reactStrictMode: true,
  poweredByHeader: false,
  images: { unoptimized: true },
  ...(process.env.NODE_ENV === 'development'
    ? {
        rewrites: () =>
          Promise.resolve([
          { source: '/api/:path*', destination: `${process.env.HIVE_URL ?? 'http://127.0.0.1:7000'}/api/:path*` },
          { source: '/pty/:path*', destination: `${process.env.HIVE_URL ?? 'http://127.0.0.1:7000'}/pty/:path*` },
          ]),
      }
    : {}),
}

export default config
