import type { TurnFailure } from '@hive/mcp'

/** What a failed `claude` run tells us, from its final `result` line and stderr. */
export interface FailedRunFacts {
  /** `api_error_status`: the API's HTTP status; null when the API gave no answer (network). */
  apiStatus: number | null | undefined
  /** `terminal_reason`: `api_error` when the API could not be used. */
  terminalReason: string | undefined
  /** The result text and the tail of stderr. */
  text: string
}

const NEEDS_LOGIN = /not logged in|please run \/login|invalid api key|authentication_error|oauth token has expired/i
/** The CLI's words when it never got an answer (its `api_error_status` is null then). */
const NO_ANSWER = /connection (refused|error|reset)|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up|timed? ?out|overloaded/i

/**
 * Terminal reasons under which the failure text is the CLI's or the API's own words. Any other
 * (`completed`, `max_turns`…) means the model ran, so the text may be the model's: a message that
 * makes the model write "please run /login" must not park its agent for ever.
 */
const TEXT_SPEAKS_FOR_THE_CLI = new Set([undefined, 'api_error', 'turn_setup_failed'])

/**
 * Whose fault a failed run was. The model being unreachable (rate limit, overload, 5xx, network,
 * a model that does not exist) and a missing login are not the message's: it must not be used
 * up. Everything else is a turn error, which counts against the message.
 */
export function classifyFailedRun(facts: FailedRunFacts): TurnFailure {
  const { apiStatus, terminalReason, text } = facts
  if (apiStatus === 401 || apiStatus === 403) return 'needs_login'
  if (typeof apiStatus === 'number') {
    if (apiStatus === 404 || apiStatus === 408 || apiStatus === 409 || apiStatus === 429 || apiStatus >= 500) return 'model_unavailable'
    return 'turn_error'
  }
  if (!TEXT_SPEAKS_FOR_THE_CLI.has(terminalReason)) return 'turn_error'
  if (NEEDS_LOGIN.test(text)) return 'needs_login'
  if (terminalReason === 'api_error' || NO_ANSWER.test(text)) return 'model_unavailable'
  return 'turn_error'
}
