#!/usr/bin/env node
// The operator CLI: the bundle `npm run build` writes (no TypeScript at run time).
import { existsSync } from 'node:fs'

const entry = new URL('../dist/bin/hive.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('hive: not built yet; run `npm run build` (npm start and npm test do it)\n')
  process.exit(1)
}
await import(entry.href)
