import type { Logger } from 'pino'
import type { OperatorQuestion, QuestionsRepository } from '@hive/db'
import { HiveError, HiveErrorCode, Limits, OPERATOR, type AskOperatorArgs, type QuestionView } from '@hive/mcp'
import type { Broker } from './broker.ts'
import { sendHelperEvent } from './helper-events.ts'
import type { LiveBus } from './live-bus.ts'

export const QuestionTtl = {
  MIN_SECONDS: 30,
  /** Six hours. */
  MAX_SECONDS: 6 * 60 * 60,
} as const

/** Who resolves a question that ran out of time. */
const TTL_WATCHDOG = 'ttl-watchdog'

export interface AnswerInput {
  options?: string[]
  text?: string
}

export interface QuestionDeskDeps {
  questions: QuestionsRepository
  broker: Broker
  live: LiveBus
  log: Logger
  /** Test clock: TTLs run this many times faster (1 in production). */
  clockScale: number
}

/**
 * The manager → operator question channel. `ask` returns at once (the manager's turn ends, no
 * context burnt on waiting); every resolution — answer, cancel, TTL expiry — lands in the asker's
 * inbox as a `system` event that wakes it. Deadlines live in the database, so a restarted daemon
 * re-arms them.
 */
export class QuestionDesk {
  private readonly timers = new Map<number, NodeJS.Timeout>()

  constructor(private readonly deps: QuestionDeskDeps) {}

  /** Re-arms the TTL of every pending question (expiring those whose deadline passed meanwhile). */
  async boot(): Promise<void> {
    for (const q of await this.deps.questions.pending()) this.arm(q)
  }

  async ask(asker: string, input: AskOperatorArgs): Promise<{ question_id: number }> {
    const options = input.options ?? null
    if (input.multi && !options?.length) throw new HiveError(HiveErrorCode.BadRequest, 'multi: only allowed together with options')
    if (options && new Set(options).size !== options.length) throw new HiveError(HiveErrorCode.BadRequest, 'options: must be distinct')
    const ttl = input.ttl_seconds
    if (ttl !== undefined && (ttl < QuestionTtl.MIN_SECONDS || ttl > QuestionTtl.MAX_SECONDS)) {
      throw new HiveError(
        HiveErrorCode.BadRequest,
        `ttl_seconds: must be between ${QuestionTtl.MIN_SECONDS} and ${QuestionTtl.MAX_SECONDS} (got ${ttl})`,
      )
    }
    const now = Date.now()
    const q = await this.deps.questions.create({
      asker,
      question: input.question,
      options,
      multi: input.multi ?? false,
      askedAt: new Date(now),
      deadlineAt: ttl === undefined ? null : new Date(now + (ttl * 1000) / this.deps.clockScale),
    })
    this.arm(q)
    this.deps.log.info({ id: q.id, asker, ttl }, 'question for the operator')
    this.deps.live.publish({ type: 'questions.changed' })
    this.deps.live.publish({ type: 'question.asked', id: q.id, asker, question: q.question })
    return { question_id: q.id }
  }

  async answer(id: number, input: AnswerInput, answerer: string = OPERATOR): Promise<QuestionView> {
    const q = await this.pendingQuestion(id)
    const answer = composeAnswer(toView(q), input)
    const resolved = await this.resolve(id, 'answered', answer, answerer)
    sendHelperEvent(this.deps, { event: 'operator_answered', id, question: resolved.question, answer }, resolved.asker)
    return resolved
  }

  async cancel(id: number, answerer: string = OPERATOR): Promise<QuestionView> {
    await this.pendingQuestion(id)
    const resolved = await this.resolve(id, 'cancelled', '[cancelled]', answerer)
    sendHelperEvent(this.deps, { event: 'operator_answered', id, question: resolved.question, answer: '[cancelled]' }, resolved.asker)
    return resolved
  }

  async pending(): Promise<QuestionView[]> {
    return (await this.deps.questions.pending()).map(toView)
  }

  async history(limit = 50): Promise<QuestionView[]> {
    return (await this.deps.questions.history(limit)).map(toView)
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
  }

  private arm(q: OperatorQuestion): void {
    if (!q.deadlineAt) return
    // setTimeout's limit is ~24.8 days; TTLs are at most 6 h.
    const delay = Math.max(0, q.deadlineAt.getTime() - Date.now())
    this.timers.set(
      q.id,
      setTimeout(() => {
        // A failed expiry (a busy database) is logged, never an unhandled rejection.
        this.expire(q.id).catch((err: unknown) => this.deps.log.error({ err, id: q.id }, 'could not expire a question'))
      }, delay),
    )
  }

  private async expire(id: number): Promise<void> {
    this.timers.delete(id)
    const result = await this.deps.questions.resolve(id, 'expired', '[expired]', TTL_WATCHDOG)
    if (!result.ok) return // answered or cancelled in the meantime
    const q = result.question
    this.deps.log.info({ id }, 'question expired unanswered')
    sendHelperEvent(this.deps, { event: 'question_expired', id, question: q.question, answer: '[expired]' }, q.asker)
    this.deps.live.publish({ type: 'questions.changed' })
  }

  private async pendingQuestion(id: number): Promise<OperatorQuestion> {
    const q = await this.deps.questions.get(id)
    if (!q) throw new HiveError(HiveErrorCode.NotFound, `no question with id ${id}`)
    if (q.status !== 'pending') {
      throw new HiveError(HiveErrorCode.Conflict, `question ${id} is already ${q.status} (answer: ${q.answer ?? '-'})`)
    }
    return q
  }

  private async resolve(id: number, status: 'answered' | 'cancelled', answer: string, answerer: string): Promise<QuestionView> {
    const result = await this.deps.questions.resolve(id, status, answer, answerer)
    if (!result.ok) {
      if (result.reason === 'not_found') throw new HiveError(HiveErrorCode.NotFound, `no question with id ${id}`)
      throw new HiveError(HiveErrorCode.Conflict, `question ${id} is already ${result.question.status} (answer: ${result.question.answer ?? '-'})`)
    }
    clearTimeout(this.timers.get(id))
    this.timers.delete(id)
    this.deps.live.publish({ type: 'questions.changed' })
    return toView(result.question)
  }
}

/** The stored answer: each chosen option on its own line, then the free text. */
export function composeAnswer(q: Pick<QuestionView, 'options' | 'multi'>, input: AnswerInput): string {
  const chosen = input.options ?? []
  const text = input.text?.trim() ?? ''
  if (chosen.length === 0 && text === '') throw new HiveError(HiveErrorCode.BadRequest, 'answer: choose an option or type an answer')
  if (text.length > Limits.MAX_QUESTION_CHARS) throw new HiveError(HiveErrorCode.BadRequest, `text: longer than ${Limits.MAX_QUESTION_CHARS} characters`)
  if (new Set(chosen).size !== chosen.length) throw new HiveError(HiveErrorCode.BadRequest, 'options: chosen twice')
  const unknown = chosen.filter((o) => !q.options.includes(o))
  if (unknown.length) throw new HiveError(HiveErrorCode.BadRequest, `options: not offered by the question: ${unknown.join(', ')}`)
  if (!q.multi && chosen.length > 1) throw new HiveError(HiveErrorCode.BadRequest, 'options: this question takes one option')
  return [...chosen, ...(text ? [text] : [])].join('\n')
}

function toView(q: OperatorQuestion): QuestionView {
  return {
    id: q.id,
    asker: q.asker,
    question: q.question,
    options: q.optionsJson ? (JSON.parse(q.optionsJson) as string[]) : [],
    multi: q.multi,
    asked_at: q.askedAt.getTime(),
    deadline_at: q.deadlineAt?.getTime() ?? null,
    status: q.status,
    answer: q.answer,
    answerer: q.answerer,
    answered_at: q.answeredAt?.getTime() ?? null,
  }
}
