// Global setup of the integration and e2e suites: they run the bins, which run the bundle, so a
// run after a source edit builds it first (about a second when nothing changed since).
import { buildIfStale } from './build.mjs'

export default async function setup() {
  await buildIfStale()
}
