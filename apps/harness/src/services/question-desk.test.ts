import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { NewQuestion, OperatorQuestion, QuestionsRepository, ResolveResult } from '@hive/db'
import { HiveErrorCode, OPERATOR, SYSTEM, helperEventSchema, type AskOperatorArgs, type HelperEvent } from '@hive/mcp'
import type { Broker } from './broker.ts'
import { LiveBus, type LiveEvent } from './live-bus.ts'
import { QuestionDesk, QuestionTtl, composeAnswer } from './question-desk.ts'

/** The repository methods the desk calls. */
type QuestionsSeam = Pick<QuestionsRepository, 'create' | 'get' | 'pending' | 'history' | 'resolve'>

/** QuestionsRepository in memory, with its contract: a question resolves once, while pending. */
class InMemoryQuestions implements QuestionsSeam {
  private readonly rows = new Map<number, OperatorQuestion>()
  private nextId = 1

  create(q: NewQuestion): Promise<OperatorQuestion> {
    const row: OperatorQuestion = {
      id: this.nextId++,
      asker: q.asker,
      question: q.question,
      optionsJson: q.options ? JSON.stringify(q.options) : null,
      multi: q.multi,
      askedAt: q.askedAt,
      deadlineAt: q.deadlineAt,
      answeredAt: null,
      answer: null,
      answerer: null,
      status: 'pending',
    }
    this.rows.set(row.id, row)
    return Promise.resolve({ ...row })
  }

  get(id: number): Promise<OperatorQuestion | null> {
    const row = this.rows.get(id)
    return Promise.resolve(row ? { ...row } : null)
  }

  pending(): Promise<OperatorQuestion[]> {
    return Promise.resolve([...this.rows.values()].filter((r) => r.status === 'pending').map((r) => ({ ...r })))
  }

  history(limit: number): Promise<OperatorQuestion[]> {
    const decided = [...this.rows.values()].filter((r) => r.status !== 'pending').reverse()
    return Promise.resolve(decided.slice(0, limit).map((r) => ({ ...r })))
  }

  resolve(id: number, status: Exclude<OperatorQuestion['status'], 'pending'>, answer: string, answerer: string): Promise<ResolveResult> {
    const row = this.rows.get(id)
    if (!row) return Promise.resolve({ ok: false, reason: 'not_found' })
    if (row.status !== 'pending') return Promise.resolve({ ok: false, reason: 'not_pending', question: { ...row } })
    Object.assign(row, { status, answer, answerer, answeredAt: new Date() })
    return Promise.resolve({ ok: true, question: { ...row } })
  }
}

/** Records every helper event the desk sends, parsed with the wire schema. */
class RecordingBroker implements Pick<Broker, 'send'> {
  readonly sent: { sender: string; recipients: string[]; event: HelperEvent }[] = []

  send(sender: string, recipients: string[], body: string): ReturnType<Broker['send']> {
    this.sent.push({ sender, recipients, event: helperEventSchema.parse(JSON.parse(body)) })
    return Promise.resolve([])
  }
}

function setup(repo = new InMemoryQuestions(), log = pino({ level: 'silent' })) {
  const broker = new RecordingBroker()
  const live = new LiveBus()
  const published: LiveEvent[] = []
  live.subscribe((e) => published.push(e.event))
  // QuestionsRepository and Broker are classes with private members, so no fake satisfies them
  // structurally: each fake is checked against the methods the desk calls, then widened.
  const questions: QuestionsSeam = repo
  const sender: Pick<Broker, 'send'> = broker
  const desk = new QuestionDesk({
    questions: questions as QuestionsRepository,
    broker: sender as Broker,
    live,
    log,
    clockScale: 1,
  })
  return { desk, repo, broker, published }
}

const ttlRefusal = (got: number) => `ttl_seconds: must be between ${QuestionTtl.MIN_SECONDS} and ${QuestionTtl.MAX_SECONDS} (got ${got})`

const ask = (overrides: Partial<AskOperatorArgs> = {}): AskOperatorArgs => ({ question: 'Deploy to prod?', ...overrides })

describe('QuestionDesk', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-03-01T12:00:00Z'))
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('ask returns the new id at once and publishes question.asked, sending nothing yet', async () => {
    const { desk, repo, broker, published } = setup()

    expect(await desk.ask('planner', ask({ ttl_seconds: 600 }))).toEqual({ question_id: 1 })

    expect(published).toEqual([{ type: 'questions.changed' }, { type: 'question.asked', id: 1, asker: 'planner', question: 'Deploy to prod?' }])
    expect(await repo.get(1)).toMatchObject({ status: 'pending', asker: 'planner', deadlineAt: new Date('2026-03-01T12:10:00Z') })
    expect(broker.sent).toEqual([])
  })

  it.each([
    ['multi without options', ask({ multi: true }), 'multi: only allowed together with options'],
    ['duplicate options', ask({ options: ['yes', 'no', 'yes'] }), 'options: must be distinct'],
    ['a TTL under QuestionTtl.MIN_SECONDS', ask({ ttl_seconds: QuestionTtl.MIN_SECONDS - 1 }), ttlRefusal(QuestionTtl.MIN_SECONDS - 1)],
    ['a TTL over QuestionTtl.MAX_SECONDS', ask({ ttl_seconds: QuestionTtl.MAX_SECONDS + 1 }), ttlRefusal(QuestionTtl.MAX_SECONDS + 1)],
  ])('refuses %s, naming the field and storing nothing', async (_case, input, message) => {
    const { desk, repo, published } = setup()

    await expect(desk.ask('manager', input)).rejects.toMatchObject({ code: HiveErrorCode.BadRequest, message })

    expect(await repo.pending()).toEqual([])
    expect(published).toEqual([])
  })

  it('accepts TTLs at both ends of QuestionTtl', async () => {
    const { desk } = setup()

    await expect(desk.ask('manager', ask({ ttl_seconds: QuestionTtl.MIN_SECONDS }))).resolves.toEqual({ question_id: 1 })
    await expect(desk.ask('manager', ask({ ttl_seconds: QuestionTtl.MAX_SECONDS }))).resolves.toEqual({ question_id: 2 })
  })

  it('composeAnswer puts each chosen option on its own line, then the trimmed text', () => {
    const multi = { options: ['red', 'green', 'blue'], multi: true }

    expect(composeAnswer(multi, { options: ['blue', 'red'], text: '  and hurry  ' })).toBe('blue\nred\nand hurry')
    expect(composeAnswer(multi, { options: ['green'] })).toBe('green')
    expect(composeAnswer({ options: [], multi: false }, { text: 'free text' })).toBe('free text')
  })

  it.each([
    ['nothing chosen and blank text', { options: [], multi: false }, { text: '   ' }, 'answer: choose an option or type an answer'],
    ['an option chosen twice', { options: ['a', 'b'], multi: true }, { options: ['a', 'a'] }, 'options: chosen twice'],
    ['an option the question did not offer', { options: ['a', 'b'], multi: true }, { options: ['c'] }, 'options: not offered by the question: c'],
    ['two options on a single-choice question', { options: ['a', 'b'], multi: false }, { options: ['a', 'b'] }, 'options: this question takes one option'],
  ])('composeAnswer refuses %s', (_case, question, input, message) => {
    expect(() => composeAnswer(question, input)).toThrow(expect.objectContaining({ code: HiveErrorCode.BadRequest, message }))
  })

  it('answer stores the composed answer and sends operator_answered to the asker', async () => {
    const { desk, broker, published } = setup()
    await desk.ask('planner', ask({ options: ['blue', 'green'], multi: true }))

    const view = await desk.answer(1, { options: ['green', 'blue'], text: ' both ' })

    expect(view).toMatchObject({ id: 1, status: 'answered', answer: 'green\nblue\nboth', answerer: OPERATOR, options: ['blue', 'green'] })
    expect(broker.sent).toEqual([
      { sender: SYSTEM, recipients: ['planner'], event: { event: 'operator_answered', id: 1, question: 'Deploy to prod?', answer: 'green\nblue\nboth' } },
    ])
    expect(published.at(-1)).toEqual({ type: 'questions.changed' })
  })

  it('a second answer is a Conflict and sends nothing more', async () => {
    const { desk, broker } = setup()
    await desk.ask('manager', ask())
    await desk.answer(1, { text: 'yes' })

    await expect(desk.answer(1, { text: 'no' })).rejects.toMatchObject({
      code: HiveErrorCode.Conflict,
      message: 'question 1 is already answered (answer: yes)',
    })

    expect(broker.sent).toHaveLength(1)
  })

  it('answering an unknown question is NotFound', async () => {
    const { desk } = setup()

    await expect(desk.answer(42, { text: 'yes' })).rejects.toMatchObject({ code: HiveErrorCode.NotFound, message: 'no question with id 42' })
  })

  it('cancel resolves the question and sends [cancelled] to the asker', async () => {
    const { desk, broker } = setup()
    await desk.ask('planner', ask())

    expect(await desk.cancel(1)).toMatchObject({ status: 'cancelled', answer: '[cancelled]', answerer: OPERATOR })

    expect(broker.sent).toEqual([
      { sender: SYSTEM, recipients: ['planner'], event: { event: 'operator_answered', id: 1, question: 'Deploy to prod?', answer: '[cancelled]' } },
    ])
  })

  it('logs an expiry the database refuses, instead of an unhandled rejection', async () => {
    const repo = new InMemoryQuestions()
    const log = pino({ level: 'silent' })
    const logged = vi.spyOn(log, 'error')
    const { desk, broker } = setup(repo, log)
    await desk.ask('planner', ask({ ttl_seconds: 60 }))
    vi.spyOn(repo, 'resolve').mockRejectedValue(new Error('database is locked'))
    await vi.advanceTimersByTimeAsync(60_000)
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ id: 1 }), 'could not expire a question')
    expect(broker.sent).toEqual([])
  })

  it('a TTL expiry sends question_expired exactly once, at the deadline', async () => {
    const { desk, repo, broker } = setup()
    await desk.ask('planner', ask({ ttl_seconds: 60 }))

    await vi.advanceTimersByTimeAsync(59_999)
    expect(broker.sent).toEqual([])

    await vi.advanceTimersByTimeAsync(1)
    await vi.advanceTimersByTimeAsync(QuestionTtl.MAX_SECONDS * 1000)

    expect(broker.sent).toEqual([
      { sender: SYSTEM, recipients: ['planner'], event: { event: 'question_expired', id: 1, question: 'Deploy to prod?', answer: '[expired]' } },
    ])
    expect(await repo.get(1)).toMatchObject({ status: 'expired', answer: '[expired]', answerer: 'ttl-watchdog' })
    await expect(desk.answer(1, { text: 'too late' })).rejects.toMatchObject({ code: HiveErrorCode.Conflict })
  })

  it('an answered question does not expire', async () => {
    const { desk, repo, broker } = setup()
    await desk.ask('planner', ask({ ttl_seconds: 60 }))
    await vi.advanceTimersByTimeAsync(10_000)
    await desk.answer(1, { text: 'yes' })

    await vi.advanceTimersByTimeAsync(QuestionTtl.MAX_SECONDS * 1000)

    expect(broker.sent.map((s) => s.event.event)).toEqual(['operator_answered'])
    expect(await repo.get(1)).toMatchObject({ status: 'answered', answer: 'yes' })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('boot re-arms pending deadlines, expiring at once those already past', async () => {
    const repo = new InMemoryQuestions()
    const now = Date.now()
    const stored = { asker: 'manager', options: null, multi: false, askedAt: new Date(now - 120_000) }
    await repo.create({ ...stored, question: 'overdue', deadlineAt: new Date(now - 5_000) })
    await repo.create({ ...stored, question: 'due soon', deadlineAt: new Date(now + 30_000) })
    await repo.create({ ...stored, question: 'no deadline', deadlineAt: null })
    const { desk, broker } = setup(repo)

    await desk.boot()
    await vi.advanceTimersByTimeAsync(0)
    expect(broker.sent.map((s) => s.event)).toEqual([{ event: 'question_expired', id: 1, question: 'overdue', answer: '[expired]' }])

    await vi.advanceTimersByTimeAsync(30_000)
    expect(broker.sent.map((s) => s.event)).toEqual([
      { event: 'question_expired', id: 1, question: 'overdue', answer: '[expired]' },
      { event: 'question_expired', id: 2, question: 'due soon', answer: '[expired]' },
    ])
    expect((await desk.pending()).map((q) => q.question)).toEqual(['no deadline'])
  })
})
