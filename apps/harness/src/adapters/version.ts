import { createRequire } from 'node:module'

/** Set by scripts/build.mjs in the bundles (the CLI snapshot has no import.meta.url to find package.json by). */
declare const __HIVE_VERSION__: string | undefined

export const HARNESS_VERSION: string =
  typeof __HIVE_VERSION__ === 'string' ? __HIVE_VERSION__ : (createRequire(import.meta.url)('../../package.json') as { version: string }).version
