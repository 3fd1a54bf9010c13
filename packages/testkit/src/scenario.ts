/** One tool call the scripted model makes. */
export interface ToolCall {
  name: string
  input: Record<string, unknown>
}

/** One scripted assistant reply. */
export type Step =
  | { text: string; delayMs?: number }
  | { toolUse: ToolCall | ToolCall[]; text?: string; delayMs?: number }
  /** Answers with an API error instead of a message (e.g. context overflow). */
  | { error: { status: number; type: string; message: string } }
  /** Starts the answer's stream and then sends nothing more, ever (a hung model). */
  | { stall: true }

/** What a script matches on, derived from one Messages API request. */
export interface RequestSummary {
  model: string
  system: string
  /** Text of the user message that started this turn (the wake prompt), not tool results. */
  turnText: string
  /** Tool names offered in `tools[]`. */
  tools: string[]
  /** Assistant replies already in the conversation since the turn started (ToolSearch excluded). */
  step: number
  stream: boolean
}

export interface Script {
  name: string
  match: (request: RequestSummary) => boolean
  steps: Step[]
}

/** A script that fires on turns whose wake prompt contains `text`. */
export function onTurnContaining(name: string, text: string, steps: Step[]): Script {
  return { name, match: (r) => r.turnText.includes(text), steps }
}

/** The error body the real API returns when the conversation no longer fits the context window. */
export const PROMPT_TOO_LONG: Step = {
  error: { status: 400, type: 'invalid_request_error', message: 'prompt is too long: 212345 tokens > 200000 maximum' },
}
