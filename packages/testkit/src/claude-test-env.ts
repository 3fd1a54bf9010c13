/**
 * Environment that sends the real `claude` CLI to the fake model and nowhere else
 * (see CLI notes: no telemetry or update traffic, an API key it accepts).
 */
export function claudeTestEnv(fakeUrl: string): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: fakeUrl,
    ANTHROPIC_API_KEY: 'sk-ant-test-fake',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
  }
}
