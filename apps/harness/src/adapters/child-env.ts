/**
 * An explicit environment for a child process, nothing inherited. (The cast exists because the
 * dashboard's Next.js types make NODE_ENV a required ProcessEnv key when they type-check the
 * router; a child env we build ourselves has no reason to carry it.)
 */
export function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed under the dashboard's Next.js types (see above)
  return vars as NodeJS.ProcessEnv
}
