import { TRPCError, type inferProcedureInput } from '@trpc/server'
import { describe, expect, it, vi } from 'vitest'
import { ZodError } from 'zod'
import type { AgentRecord, StoredMessage } from '@hive/db'
import { HiveError, HiveErrorCode, OPERATOR, type ApprovalView, type QuestionView } from '@hive/mcp'
import type { HiveServices } from '../../operations/hive-services.ts'
import type { AgentConfigs } from '../../services/agent-configs.ts'
import type { AgentDirectory } from '../../services/agent-directory.ts'
import type { AgentLifecycle } from '../../services/agent-lifecycle.ts'
import type { ApprovalDesk } from '../../services/approval-desk.ts'
import type { Broker } from '../../services/broker.ts'
import { LiveBus } from '../../services/live-bus.ts'
import { Messaging } from '../../services/messaging.ts'
import type { QuestionDesk } from '../../services/question-desk.ts'
import { appRouter, type AppRouter } from './root.ts'

/** Stores what is sent in memory and hands back rows with ids, as MessageStore.insert does. */
class RecordingBroker implements Pick<Broker, 'send'> {
  readonly rows: StoredMessage[] = []

  send(sender: string, recipients: string[], body: string, broadcast = false): Promise<StoredMessage[]> {
    const sent = recipients.map((recipient) => ({
      id: this.rows.length + 1,
      sender,
      recipient,
      body,
      sentAt: 0,
      deliveredAt: null,
      ackedAt: null,
      redelivered: false,
      broadcast,
      attempts: 0,
      deadLetteredAt: null,
      lastError: null,
    }))
    this.rows.push(...sent)
    return Promise.resolve(sent)
  }
}

const agentRecord = (name: string): AgentRecord => ({
  name,
  role: 'agent',
  runtime: 'process',
  desired: 'running',
  uidBase: null,
  createdAt: new Date(0),
  destroyedAt: null,
})

const questionView: QuestionView = {
  id: 3,
  asker: 'manager',
  question: 'Ship it?',
  options: ['yes', 'no'],
  multi: false,
  asked_at: 0,
  deadline_at: null,
  status: 'answered',
  answer: 'yes\nafter lunch',
  answerer: OPERATOR,
  answered_at: 1,
}

const approvalView: ApprovalView = {
  id: 1,
  kind: 'spawn',
  agent: 'scout',
  description: 'reads the docs',
  commit_ref: null,
  sha: null,
  status: 'pending',
  note: null,
  requested_at: 0,
  resolved_at: null,
}

/** The services these routes reach: real Messaging and LiveBus, fakes behind them and for the rest. */
interface RouterSeams {
  messaging: Messaging
  live: LiveBus
  directory: Pick<AgentDirectory, 'list' | 'live'>
  lifecycle: Pick<AgentLifecycle, 'spawn'>
  questions: Pick<QuestionDesk, 'answer'>
  approvals: Pick<ApprovalDesk, 'requestSpawn'>
  configs: Pick<AgentConfigs, 'setModel' | 'turnConfig'>
}

function setup() {
  const broker = new RecordingBroker()
  const directory = {
    list: vi.fn<AgentDirectory['list']>(() => Promise.resolve([])),
    live: vi.fn<AgentDirectory['live']>((name) => Promise.resolve(agentRecord(name))),
  }
  const lifecycle = { spawn: vi.fn<AgentLifecycle['spawn']>() }
  const questions = { answer: vi.fn<QuestionDesk['answer']>(() => Promise.resolve(questionView)) }
  const approvals = { requestSpawn: vi.fn<ApprovalDesk['requestSpawn']>(() => Promise.resolve(approvalView)) }
  const configs = {
    setModel: vi.fn<AgentConfigs['setModel']>(() => Promise.resolve()),
    turnConfig: vi.fn<AgentConfigs['turnConfig']>((name) => Promise.resolve({ name, role: 'agent', model: 'sonnet', bash_patterns: [], notes_compact_bytes: 16 * 1024, turn_timeout_seconds: 1800 })),
  }
  const live = new LiveBus()
  // Broker is a class with private members, so no fake satisfies it structurally; Messaging calls only `send`.
  const sender: Pick<Broker, 'send'> = broker
  const messaging = new Messaging(sender as Broker, directory)
  const seams: RouterSeams = { messaging, live, directory, lifecycle, questions, approvals, configs }
  // The procedures under test reach only RouterSeams; a route reaching further would fail loudly.
  const caller = appRouter.createCaller({ services: seams as HiveServices })
  return { caller, broker, directory, lifecycle, questions, approvals, configs, messaging, live }
}

/** The rejection of `call`, or undefined if it resolved. */
async function rejectionOf(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (e: unknown) => e,
  )
}

describe('appRouter through createCaller', () => {
  it('messages.send to operator is refused as BAD_REQUEST and writes nothing', async () => {
    const { caller, broker } = setup()
    const input: inferProcedureInput<AppRouter['messages']['send']> = { to: OPERATOR, body: 'note to self' }

    const sent = caller.messages.send(input)

    await expect(sent).rejects.toBeInstanceOf(TRPCError)
    await expect(sent).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(sent).rejects.toThrow('the operator cannot message itself')
    expect(broker.rows).toEqual([])
  })

  it('messages.send to an agent goes through messaging as the operator', async () => {
    const { caller, broker, directory, messaging } = setup()
    const send = vi.spyOn(messaging, 'send')
    const input: inferProcedureInput<AppRouter['messages']['send']> = { to: 'worker', body: 'pick up ticket 12' }

    expect(await caller.messages.send(input)).toEqual({ ids: [1] })

    expect(send).toHaveBeenCalledExactlyOnceWith(OPERATOR, 'worker', 'pick up ticket 12')
    expect(directory.live).toHaveBeenCalledWith('worker', 'recipient')
    expect(broker.rows).toMatchObject([{ sender: OPERATOR, recipient: 'worker', body: 'pick up ticket 12' }])
  })

  it('questions.answer reaches the desk with the parsed input and the operator as answerer', async () => {
    const { caller, questions } = setup()
    const input: inferProcedureInput<AppRouter['questions']['answer']> = { id: 3, options: ['yes'], text: 'after lunch' }

    expect(await caller.questions.answer(input)).toEqual(questionView)

    expect(questions.answer).toHaveBeenCalledExactlyOnceWith(3, { options: ['yes'], text: 'after lunch' }, OPERATOR)
  })

  it('questions.answer passes no absent fields on to the desk', async () => {
    const { caller, questions } = setup()
    const input: inferProcedureInput<AppRouter['questions']['answer']> = { id: 3, text: 'yes' }

    await caller.questions.answer(input)

    expect(questions.answer).toHaveBeenCalledExactlyOnceWith(3, { text: 'yes' }, OPERATOR)
  })

  it('approvals.requestSpawn reaches the desk with the parsed input, requested by the operator', async () => {
    const { caller, approvals } = setup()
    const input: inferProcedureInput<AppRouter['approvals']['requestSpawn']> = { name: 'scout', description: 'reads the docs' }

    expect(await caller.approvals.requestSpawn(input)).toEqual(approvalView)

    expect(approvals.requestSpawn).toHaveBeenCalledExactlyOnceWith('scout', 'reads the docs', OPERATOR)
  })

  it('a zod-invalid input is a BAD_REQUEST naming the field, and the service is not called', async () => {
    const { caller, lifecycle } = setup()
    const input: inferProcedureInput<AppRouter['agents']['spawn']> = { name: 'Bad Name' }

    const error = await rejectionOf(caller.agents.spawn(input))

    expect(error).toBeInstanceOf(TRPCError)
    expect(error).toMatchObject({ code: 'BAD_REQUEST' })
    const cause = error instanceof TRPCError ? error.cause : undefined
    expect(cause).toBeInstanceOf(ZodError)
    expect(cause instanceof ZodError ? cause.issues.map((i) => i.path) : []).toEqual([['name']])
    expect(lifecycle.spawn).not.toHaveBeenCalled()
  })

  it.each(['bad model!', 'sonnet; rm -rf /', '$(id)'])('settings.setModel %j is a BAD_REQUEST naming the model field, and nothing is set', async (model) => {
    const { caller, configs } = setup()
    const input: inferProcedureInput<AppRouter['settings']['setModel']> = { name: 'worker', model }

    const error = await rejectionOf(caller.settings.setModel(input))

    expect(error).toMatchObject({ code: 'BAD_REQUEST' })
    const cause = error instanceof TRPCError ? error.cause : undefined
    expect(cause instanceof ZodError ? cause.issues.map((i) => [i.path, i.message]) : []).toEqual([[['model'], expect.stringContaining('no spaces or shell characters')]])
    expect(configs.setModel).not.toHaveBeenCalled()
  })

  it('settings.setModel takes a bracketed alias and sets it as the operator', async () => {
    const { caller, configs } = setup()
    const input: inferProcedureInput<AppRouter['settings']['setModel']> = { name: 'worker', model: 'opus[1m]' }

    expect(await caller.settings.setModel(input)).toEqual({ name: 'worker', override: 'opus[1m]', effective: 'sonnet' })

    expect(configs.setModel).toHaveBeenCalledExactlyOnceWith('worker', 'opus[1m]', OPERATOR)
  })

  it.each([
    [HiveErrorCode.NotFound, 'NOT_FOUND', 'no question with id 9'],
    [HiveErrorCode.Conflict, 'CONFLICT', 'question 9 is already answered (answer: yes)'],
  ] as const)('a HiveError %s from a service becomes tRPC %s with the same message', async (code, trpcCode, message) => {
    const { caller, questions } = setup()
    questions.answer.mockRejectedValueOnce(new HiveError(code, message))
    const input: inferProcedureInput<AppRouter['questions']['answer']> = { id: 9, text: 'yes' }

    const error = await rejectionOf(caller.questions.answer(input))

    expect(error).toBeInstanceOf(TRPCError)
    expect(error).toMatchObject({ code: trpcCode, message })
    expect(error instanceof TRPCError ? error.cause : undefined).toBeInstanceOf(HiveError)
  })

  it('live.seq returns the bus position', async () => {
    const { caller, live } = setup()
    expect(await caller.live.seq()).toEqual({ seq: 0 })

    live.publish({ type: 'agents.changed' })
    live.publish({ type: 'questions.changed' })

    expect(await caller.live.seq()).toEqual({ seq: 2 })
  })
})
