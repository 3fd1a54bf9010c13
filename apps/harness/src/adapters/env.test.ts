import { afterEach, describe, expect, it } from 'vitest'

const saved = { ...process.env }
afterEach(() => {
  // The worker's environment is shared with the next test files: put it back as it was.
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
  Object.assign(process.env, saved)
})

describe('isolatedModelEnv', () => {
  it("lets the CLI's switches into a container and none of the operator's secrets or upstream", async () => {
    Object.assign(process.env, {
      ANTHROPIC_API_KEY: 'sk-operator',
      ANTHROPIC_AUTH_TOKEN: 'bearer-operator',
      CLAUDE_CODE_OAUTH_TOKEN: 'oauth-operator',
      ANTHROPIC_CUSTOM_HEADERS: 'x-gateway-token: secret',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
      CLAUDE_CODE_MAX_RETRIES: '1',
      ANTHROPIC_MODEL: 'sonnet',
      DISABLE_AUTOUPDATER: '1',
    })
    const { isolatedModelEnv } = await import('./env.ts')
    expect(isolatedModelEnv()).toEqual({ CLAUDE_CODE_MAX_RETRIES: '1', ANTHROPIC_MODEL: 'sonnet', DISABLE_AUTOUPDATER: '1' })
  })
})
