import { startupSnapshot } from 'node:v8'
import { buildProgram } from './program.ts'

/**
 * The entry `npm run build` turns into the CLI's V8 startup snapshot (`dist/bin/hive.blob`): the
 * commands, commander and the protocol's schemas are loaded when the snapshot is built, so a verb
 * starts as fast as Node itself. bin/hive runs `node --snapshot-blob hive.blob -- <args>`; argv
 * and the environment are read only in the main function, at run time. `hive serve` never comes
 * here (bin/hive sends it to the ES module bin).
 */
const program = buildProgram(() => Promise.reject(new Error('hive serve runs from bin/hive.mjs, not from the CLI snapshot')))

startupSnapshot.setDeserializeMainFunction(() => {
  // `node --snapshot-blob <blob> -- <args>`: process.argv is [node, ...args].
  void program.parseAsync(process.argv.slice(1), { from: 'user' })
})
