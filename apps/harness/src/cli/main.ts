import { isHiveError } from '@hive/mcp'
import { terminalSafe } from '../domain/terminal-safe.ts'
import { buildProgram } from './program.ts'

/** `hive` as an ES module: `hive serve`, and every verb when the CLI's startup snapshot cannot be used. */
const program = buildProgram(async () => {
  const { serve } = await import('../main/serve.ts')
  await serve().catch((e: unknown) => {
    if (!isHiveError(e)) throw e
    // Refused at start (e.g. a socket path too long): servers already open would keep us alive.
    process.stderr.write(`hive serve: ${terminalSafe(e.message)}\n`)
    process.exit(1)
  })
})
await program.parseAsync()
