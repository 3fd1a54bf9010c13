import { describe, expect, it } from 'vitest'
import { classifyFailedRun } from './turn-failure-class.ts'

const run = (apiStatus: number | null | undefined, text = '', terminalReason?: string) => classifyFailedRun({ apiStatus, text, terminalReason })

describe('classifyFailedRun', () => {
  it('keeps the message through outages: rate limits, overload, 5xx, no answer, unknown model', () => {
    for (const status of [429, 529, 500, 502, 503, 504, 408, 404]) expect(run(status, `API Error: ${status}`, 'api_error')).toBe('model_unavailable')
    expect(run(null, 'API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)', 'api_error')).toBe('model_unavailable')
    expect(run(undefined, 'Request timed out.')).toBe('model_unavailable')
  })

  it('tells a missing login apart', () => {
    expect(run(401, 'API Error: 401 {"type":"authentication_error"}', 'api_error')).toBe('needs_login')
    expect(run(undefined, 'Invalid API key · Please run /login')).toBe('needs_login')
  })

  it('counts what the turn itself did wrong against the message', () => {
    expect(run(400, 'API Error: 400 invalid_request_error', 'api_error')).toBe('turn_error')
    expect(run(undefined, 'claude exited 1: Error: tool crashed')).toBe('turn_error')
  })

  it('does not take the model’s own words for an outage or a missing login once the model ran', () => {
    for (const reason of ['completed', 'max_turns', 'aborted_tools', 'malformed_tool_use_exhausted']) {
      expect(run(undefined, 'claude exited 1: please run /login, the connection refused', reason)).toBe('turn_error')
      expect(run(null, 'Request timed out.', reason)).toBe('turn_error')
    }
    // A status from the API still speaks for itself.
    expect(run(529, 'overloaded', 'completed')).toBe('model_unavailable')
    expect(run(undefined, 'Not logged in · Please run /login', 'turn_setup_failed')).toBe('needs_login')
  })
})
