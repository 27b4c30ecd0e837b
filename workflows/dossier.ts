/**
 * The procedure interpreter: one workflow runs every dossier of every procedure, walking the compiled
 * plan it received in its input. Workflow id = dossier code.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowCancellationType,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import jsonLogic from 'json-logic-js';
import type { HandoffActivities } from '../activities/handoffs';
import type { PaymentActivities } from '../activities/payments';
import type { DossierActivities, RecordEventInput } from '../activities/types';
import { hopTiming } from '../domain/hop-timing';
import type { DocumentActivities, PostalOrder } from '../activities/documents-types';
import type { Assignee, HandoffStep, OutcomeEffect, PlanStep, ReturnStep } from '../domain/plan';
import { SA } from '../domain/search-attributes';
import { DossierStatus, STATUS_LABELS, isTerminal, type DossierStatusCode } from '../domain/status';
import {
  completeTaskUpdate,
  FailureTypes,
  getDossierQuery,
  observeDossierUpdate,
  partnerAnsweredSignal,
  paymentConfirmedSignal,
  postalDeliveredSignal,
  repairDossierSignal,
  stopDossierUpdate,
  supplementSignal,
  withdrawSignal,
  type Actor,
  type AttentionInfo,
  type CompleteTaskInput,
  type DossierSettings,
  type DossierView,
  type DossierWorkflowInput,
  type PartnerAnswerInput,
  type PostalDeliveredInput,
  type SupplementInput,
} from './messages';

/**
 * Timeout profiles: quick database work, and work that waits on files or other agencies. Retries are
 * bounded (about five minutes of a dependency being away): a step that still fails then waits for ops,
 * visibly, instead of retrying in silence (see `attend` in the workflow).
 */
const QUICK = { startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 10 } } as const;
const SLOW = { startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 10 } } as const;

/** The read model and the calendar, as activities (runs recorded before local activities replay with these). */
const remoteDb = proxyActivities<DossierActivities>(QUICK);

/**
 * The same, as local activities: short PostgreSQL writes and calendar sums run in the worker within the
 * workflow task, without a round trip through the server each, so an officer's answer comes sooner.
 * Each is idempotent (keyed), so a retry after a worker crash does no harm.
 */
const localDb = proxyLocalActivities<DossierActivities>({ ...QUICK, localRetryThreshold: '10 seconds' });

const payments = proxyActivities<PaymentActivities>(QUICK);

/** Showing a failure to ops: tried briefly, never blocking (the search attribute shows it anyway). */
const attentionFlags = proxyActivities<DossierActivities>({ startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 } });

/** Failure types a caller handles itself: they are outcomes, not failures for ops. */
const HANDLED_FAILURES = ['PostalAddressMissingError'];

/** Telling a partner that the lead dossier ended: tried for a while, then recorded as undelivered (the dossier still ends). */
const partnerNotices = proxyActivities<HandoffActivities>({ ...QUICK, scheduleToCloseTimeout: '10 minutes',
  retry: { ...QUICK.retry, initialInterval: '2 seconds' } });

/**
 * Partner agencies answer slowly and sometimes not at all: the package is retried until the step's deadline
 * stops waiting (and at most a week, for a step without one); the hop shows it meanwhile.
 */
const partners = proxyActivities<HandoffActivities>({ ...SLOW, scheduleToCloseTimeout: '7 days',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' } });

const docs = proxyActivities<DocumentActivities>(SLOW);

const SYSTEM: Actor = { username: 'system' };
/** The reason of a stop that ops asked for by cancelling the run (followed by what they typed, if anything). */
const CANCELLED_BY_OPS = 'Dừng xử lý do hủy quy trình từ hệ thống vận hành';
/** The legal time to check an online dossier at the counter (accept, ask for a supplement, or refuse). */
const ONLINE_INTAKE = { workingHours: 8 };
/** Step id of the apology task; the double underscore keeps it apart from any designer's step id. */
export const APOLOGY_STEP = '__apology';
const HOUR = 3600_000;

export const DEFAULT_SETTINGS: DossierSettings = {
  stepWarningLeadMs: 2 * HOUR,
  apologyLeadMs: 4 * HOUR,
  historyLimit: 10_000,
};

/** Fixed outcomes of a reception step. */
type ReceptionOutcome = 'accept' | 'supplement' | 'refuse';

export interface DossierResult {
  status: DossierStatusCode;
}

interface OpenTask {
  taskId: string;
  stepId: string;
  /** outcome name → effect name used for validation (`next`, `supplement`, `stop`, `refuse`) */
  effects: Record<string, string>;
  completion?: CompleteTaskInput;
  /** an Update carrying its completion has been accepted (the completion may still be on its way into the history) */
  accepted?: boolean;
  consumed: boolean;
}

/** Ends the dossier from anywhere in the plan (refusal, stop, withdrawal). */
class EndDossier extends Error {
  constructor(readonly status: DossierStatusCode, readonly actor: Actor, readonly reason: string, readonly stepId?: string) {
    super(`dossier ends with status ${status}`);
  }
}

/** Raised at a safe point when the history is long: the run continues as new from `nextStep`. */
class Continue extends Error {
  constructor(readonly nextStep: string) {
    super('continue as new');
  }
}

export async function dossierWorkflow(input: DossierWorkflowInput): Promise<DossierResult> {
  const { plan, dossierCode } = input;
  const settings: DossierSettings = { ...DEFAULT_SETTINGS, ...input.settings };
  const resume = input.resume;
  let status: DossierStatusCode = resume?.status ?? DossierStatus.Submitted;
  let eventCount = resume?.eventCount ?? 0;
  let appointmentAt = resume?.appointmentAt;
  let originalAppointmentAt = resume?.originalAppointmentAt;
  let overdue = resume?.overdue ?? false;
  let supplementCount = resume?.supplementCount ?? 0;
  /** a wait the law does not count is running: the legal clock stands still, as in a supplement */
  let clockPaused = false;
  let lastActor: Actor = resume?.lastActor ?? SYSTEM;
  const current = new Set<string>();
  const openTasks: Record<string, OpenTask> = {};
  const iterations: Record<string, number> = { ...resume?.iterations };
  const data: { application: Record<string, unknown>; steps: Record<string, unknown> } = {
    application: input.application,
    steps: { ...resume?.stepData },
  };
  let supplement: SupplementInput | undefined;
  let ending: EndDossier | undefined;
  /** a stop has been accepted (it may still be on its way into the history) */
  let stopping = false;
  const paid = new Set<string>();
  let awaitingPayment = false;
  let paymentSignals = 0;
  /** partner dossiers (handoffs) still running */
  const children = new Set<string>();
  /** external handoffs awaiting an answer (`step:iteration`), and the answers received */
  const expectedAnswers = new Set<string>();
  const partnerAnswers: Record<string, PartnerAnswerInput> = {};
  // The interpreter is "settled" when every running sequence waits on a person, a signal or a timer,
  // and no message it has accepted is still waiting to be acted on.
  let running = 1;
  let blocked = 0;
  let unconsumed = 0;
  let finished = false;
  // bumps whenever the appointment date moves, so the lateness watcher re-plans
  let appointmentVersion = 0;
  const settled = () => finished || (blocked >= running && unconsumed === 0);
  const main = new CancellationScope();
  /** a step that failed for good, waiting for ops; repairs asked for so far */
  let attention: AttentionInfo | undefined;
  let attentionShown = false;
  let repairs = 0;

  /**
   * Wraps activity proxies: an activity that failed for good (retries exhausted, or a non-retryable
   * failure) is shown to ops (dossier view, search attribute `NeedsAttention`, metric) and tried again
   * when ops repair the dossier; cancelling the run stops the dossier instead.
   */
  function guarded<T extends object>(activities: T, opts: { serial?: boolean } = {}): T {
    return new Proxy(activities, {
      get(target, name) {
        const call = (target as Record<string | symbol, (...args: unknown[]) => Promise<unknown>>)[name];
        return async (...args: unknown[]) => {
          for (;;) {
            try {
              return await (opts.serial ? oneAtATime(() => call(...args)) : call(...args));
            } catch (err) {
              // an ordinary activity fails with an ActivityFailure around the cause, a local one with the cause itself
              const cause = err instanceof ActivityFailure ? err.cause : err;
              if (isCancellation(err) || (cause instanceof ApplicationFailure && HANDLED_FAILURES.includes(cause.type ?? ''))) throw err;
              await attend(String(name), cause instanceof Error ? cause : undefined);
            }
          }
        };
      },
    });
  }

  /**
   * Local activities one at a time: parallel branches that each await local activities would otherwise issue
   * them in the order their results happened to come back, which a replay (after a worker restart or a cache
   * eviction) cannot reproduce, and the run would be wedged by a nondeterminism error.
   */
  let localQueue: Promise<unknown> = Promise.resolve();
  function oneAtATime<R>(fn: () => Promise<R>): Promise<R> {
    const next = localQueue.then(fn, fn);
    localQueue = next.catch(() => undefined);
    return next;
  }
  const local = patched('local-read-model');
  const db = guarded(local ? localDb : remoteDb, { serial: local && patched('serial-local-activities') });
  /** the read model written by an ordinary activity: runs only once what asked for it is in the history */
  const durableDb = guarded(remoteDb);
  const payActs = guarded(payments);
  const files = guarded(docs);
  const partnerRecords = guarded(partners);

  const view = (): DossierView => ({
    status,
    overdue,
    currentSteps: [...current],
    appointmentAt,
    openTasks: Object.values(openTasks)
      .filter((t) => !t.completion && !t.accepted)
      .map((t) => ({ taskId: t.taskId, stepId: t.stepId, outcomes: Object.keys(t.effects) })),
    ...(attention ? { attention } : {}),
  });

  setHandler(getDossierQuery, view);
  setHandler(observeDossierUpdate, async () => {
    await condition(settled);
    return view();
  });
  setHandler(
    completeTaskUpdate,
    async (completion) => {
      const task = openTasks[completion.taskId];
      task.accepted = true;
      if (patched('durable-completion')) {
        // An Update is not in the history until its workflow task completes: an ordinary activity records the
        // completion only once it is, so a crash can never leave the read model ahead of the workflow.
        await durableDb.closeTask({ taskId: task.taskId, outcome: completion.outcome, data: completion.data,
          comment: completion.comment, actor: completion.actor, at: now(), requestKey: completion.requestKey });
        if (finished || openTasks[task.taskId] !== task) return view();
      }
      task.completion = completion;
      unconsumed += 1;
      await condition(() => (task.consumed || finished) && settled());
      return view();
    },
    {
      validator: (completion) => {
        const task = openTasks[completion.taskId];
        if (!task || task.completion || task.accepted) {
          throw ApplicationFailure.create({
            type: FailureTypes.taskNotOpen,
            message: `task ${completion.taskId} is not open on dossier ${dossierCode}`,
            // `taken`: another completion has it; `unknown`: this run has no such task (not opened yet, or not its own)
            details: [task ? 'taken' : 'unknown'],
          });
        }
        const effect = task.effects[completion.outcome];
        if (!effect) {
          throw ApplicationFailure.create({
            type: FailureTypes.unknownOutcome,
            message: `outcome "${completion.outcome}" is not one of ${Object.keys(task.effects).join(', ')}`,
            details: [Object.keys(task.effects)],
          });
        }
        if (effect !== 'next' && !completion.comment?.trim()) {
          throw ApplicationFailure.create({
            type: FailureTypes.reasonRequired,
            message: `outcome "${completion.outcome}" needs the reasons in "comment"`,
          });
        }
      },
    },
  );
  setHandler(
    stopDossierUpdate,
    async (stop) => {
      stopping = true;
      if (patched('durable-stop')) {
        // recorded by an ordinary activity, so the stop is in the history before anything is closed or told
        eventCount += 1;
        await durableDb.recordEvent({ dossierCode, key: `wf-${eventCount}`, type: 'stop-requested', actor: stop.actor,
          reason: stop.reason, at: now() });
      }
      if (!ending && !finished) {
        ending = new EndDossier(DossierStatus.Stopped, stop.actor, stop.reason);
        unconsumed += 1;
        main.cancel();
      }
      await condition(() => finished);
      return view();
    },
    {
      validator: (stop) => {
        if (stopping || ending || finished || isTerminal(status)) {
          throw ApplicationFailure.create({ type: FailureTypes.dossierEnded, message: `dossier ${dossierCode} has already ended` });
        }
        if (!stop.reason?.trim()) {
          throw ApplicationFailure.create({ type: FailureTypes.reasonRequired, message: 'stopping a dossier needs the reasons' });
        }
      },
    },
  );
  setHandler(repairDossierSignal, () => {
    if (attention) repairs += 1;
  });
  setHandler(supplementSignal, (s) => {
    if (status !== DossierStatus.SupplementRequested || supplement) return;
    supplement = s;
    unconsumed += 1;
  });
  setHandler(paymentConfirmedSignal, (p) => {
    if (paid.has(p.feeCode)) return;
    paid.add(p.feeCode);
    lastActor = p.actor;
    if (awaitingPayment) {
      paymentSignals += 1;
      unconsumed += 1;
    }
  });
  setHandler(partnerAnsweredSignal, (a) => {
    const key = `${a.stepId}:${a.iteration}`;
    if (!expectedAnswers.has(key) || partnerAnswers[key]) return;
    partnerAnswers[key] = a;
    unconsumed += 1;
  });
  /** postal deliveries reported, by order id */
  const postalDeliveries: Record<string, PostalDeliveredInput> = {};
  setHandler(postalDeliveredSignal, (d) => {
    if (postalDeliveries[d.orderId]) return;
    postalDeliveries[d.orderId] = d;
    unconsumed += 1;
  });
  setHandler(withdrawSignal, (w) => {
    if (ending || finished || isTerminal(status)) return;
    ending = new EndDossier(DossierStatus.Withdrawn, w.actor, w.reason);
    unconsumed += 1;
    main.cancel();
  });

  const now = () => new Date().toISOString();

  /**
   * An activity failed for good: shown to ops, then waits for a repair (the caller retries the activity).
   * A cancellation meanwhile (the Temporal UI's Cancel) ends the dossier with status 8.
   */
  async function attend(activity: string, cause: Error | undefined): Promise<void> {
    const type = cause instanceof ApplicationFailure ? cause.type ?? 'ApplicationFailure' : cause?.name ?? 'ActivityFailure';
    attention = { activity, type, message: (cause?.message ?? 'failed').slice(0, 2000), steps: [...current], since: now() };
    describe();
    await attentionFlags.flagAttention({ dossierCode, attention }).catch(() => undefined);
    const seen = repairs;
    await waitFor(() => repairs > seen);
    attention = undefined;
    describe();
    await attentionFlags.flagAttention({ dossierCode, attention: null }).catch(() => undefined);
  }
  /** Legal time is counted in whole minutes, as the forms write it. */
  const nowToMinute = () => new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();

  function describe(): void {
    const steps = [...current].map((id) => plan.steps[id]?.name ?? id).join(', ');
    setCurrentDetails(`**${plan.name}** (${plan.code} v${plan.version})\n\nTrạng thái: ${status} – ${STATUS_LABELS[status]}` +
      (overdue ? ' (quá hạn)' : '') + (steps ? `\n\nBước hiện tại: ${steps}` : '') +
      (attention ? `\n\n**Cần xử lý (needs attention)**: ${attention.activity} failed (${attention.type}): ${attention.message}\n\n` +
        'Fix the cause, then send the signal `repairDossier` to retry, or cancel the run to stop the dossier (status 8).' : ''));
    // NeedsAttention is written once a failure has been shown, so the runs recorded before it replay unchanged
    if (attention) attentionShown = true;
    upsertSearchAttributes([
      { key: SA.status, value: String(status) },
      { key: SA.currentStep, value: [...current].join(',') || null },
      { key: SA.appointmentAt, value: appointmentAt ? new Date(appointmentAt) : null },
      { key: SA.overdue, value: overdue },
      ...(attentionShown ? [{ key: SA.needsAttention, value: attention !== undefined }] : []),
    ]);
  }

  async function record(type: string, fields: Omit<RecordEventInput, 'dossierCode' | 'key' | 'type' | 'at'>) {
    eventCount += 1;
    await db.recordEvent({ dossierCode, key: `wf-${eventCount}`, type, at: now(), ...fields });
  }

  async function transition(to: DossierStatusCode, actor: Actor, reason: string, stepId?: string, patch = {}) {
    const from = status;
    status = to;
    describe();
    await record('status', {
      fromStatus: from, toStatus: to, actor, reason, stepId,
      dossier: { status: to, currentSteps: [...current], ...patch },
    });
  }

  /** Waits for `predicate`, counting this sequence as settled meanwhile. */
  async function waitFor(predicate: () => boolean, timeoutMs?: number): Promise<boolean> {
    blocked += 1;
    try {
      return timeoutMs === undefined ? (await condition(predicate), true) : await condition(predicate, Math.max(timeoutMs, 1));
    } finally {
      blocked -= 1;
    }
  }

  const msUntil = (instant: string) => Math.max(0, Date.parse(instant) - Date.now());

  /** Runs `body` beside the interpreter; cancelled with the returned scope (or with the dossier). */
  function background(body: () => Promise<void>): CancellationScope {
    const scope = new CancellationScope();
    scope.run(body).catch((err) => {
      if (!isCancellation(err)) throw err;
    });
    return scope;
  }

  /** Warns before a step is due, and records which step and unit overran when it is late. */
  function watchStepDeadline(step: PlanStep, assignee: Assignee, taskId: string, openedAt: string, dueAt: string) {
    return background(async () => {
      const warnAt = await db.computeWarning({ agencyCode: plan.agency, from: openedAt, duration: step.deadline!,
        leadMs: settings.stepWarningLeadMs });
      if (warnAt && Date.parse(warnAt) > Date.now()) {
        await sleep(msUntil(warnAt));
        const leader = await db.responsibleLeader({ agencyCode: plan.agency, unitCode: assignee.unit });
        for (const to of [assignee, leader]) {
          await db.notify({ key: `${dossierCode}:${taskId}:due-soon:${to.unit}:${to.role}`, dossierCode, template: 'step-due-soon',
            to: { ...to, agency: plan.agency }, channels: ['in-app'], data: { stepId: step.id, stepName: step.name, dueAt } });
        }
        await record('step-due-soon', { actor: SYSTEM, stepId: step.id, data: { taskId, unit: assignee.unit, dueAt } });
      }
      await sleep(msUntil(dueAt));
      await record('step-overdue', { actor: SYSTEM, stepId: step.id, reason: `Bước "${step.name}" quá hạn`,
        data: { taskId, unit: assignee.unit, role: assignee.role, dueAt } });
    });
  }

  /** Opens a task for a human step, waits for its completion and returns it. */
  async function humanTask(step: PlanStep, assignee: Assignee, effects: Record<string, string>,
    form?: Record<string, unknown>, dueOverride?: string): Promise<CompleteTaskInput> {
    const iteration = (iterations[step.id] ?? 0) + 1;
    iterations[step.id] = iteration;
    const openedAt = nowToMinute();
    const dueAt = dueOverride ?? (step.deadline
      ? await db.computeDue({ agencyCode: plan.agency, from: openedAt, duration: step.deadline })
      : undefined);
    // the id is made here and the task registered before its row exists, so an officer who sees the row can complete it
    const taskId = uuid4();
    const task: OpenTask = { taskId, stepId: step.id, effects, consumed: false };
    openTasks[taskId] = task;
    await db.openTask({
      taskId, dossierCode, stepId: step.id, iteration, stepKind: step.kind, stepName: step.name,
      procedureCode: plan.code, agencyCode: plan.agency, unitCode: assignee.unit, role: assignee.role,
      dueAt, outcomes: effects, form,
    });
    await record('task-opened', { actor: SYSTEM, stepId: step.id,
      data: { taskId, unit: assignee.unit, role: assignee.role, dueAt, iteration }, dossier: { currentSteps: [...current] } });
    const watcher = dueAt && step.deadline ? watchStepDeadline(step, assignee, taskId, openedAt, dueAt) : undefined;
    try {
      await waitFor(() => task.completion !== undefined);
    } finally {
      watcher?.cancel();
    }
    const completion = task.completion as CompleteTaskInput;
    task.consumed = true;
    unconsumed -= 1;
    delete openTasks[taskId];
    lastActor = completion.actor;
    await db.closeTask({ taskId, outcome: completion.outcome, data: completion.data, comment: completion.comment,
      actor: completion.actor, at: now() });
    await record('task-completed', { actor: completion.actor, stepId: step.id, reason: completion.comment,
      data: { taskId, outcome: completion.outcome, iteration, late: dueAt ? Date.now() > Date.parse(dueAt) : false } });
    return completion;
  }

  /** Pauses the legal clock until the applicant supplements; the appointment moves by the paused working time. */
  async function requestSupplement(step: PlanStep, actor: Actor, reason: string): Promise<void> {
    const resumeTo = status;
    supplementCount += 1;
    const pausedFrom = nowToMinute();
    await transition(DossierStatus.SupplementRequested, actor, reason, step.id, { supplementCount });
    await db.notify({ key: `${dossierCode}:supplement:${supplementCount}`, dossierCode, template: 'supplement-requested',
      to: { applicant: true }, channels: ['in-app'], data: { reason, stepName: step.name } });
    await waitFor(() => supplement !== undefined);
    const given = supplement as unknown as SupplementInput;
    supplement = undefined;
    unconsumed -= 1;
    const patch: { appointmentAt?: string } = {};
    if (appointmentAt) {
      appointmentAt = await db.shiftByPause({ agencyCode: plan.agency, instant: appointmentAt, pausedFrom, pausedTo: nowToMinute() });
      appointmentVersion += 1;
      patch.appointmentAt = appointmentAt;
    }
    await transition(resumeTo, given.actor, given.note ?? 'Đã bổ sung hồ sơ', step.id, patch);
  }

  /** Applies an outcome effect; returns the next step id (possibly the same step again). */
  async function applyEffect(step: PlanStep, effect: OutcomeEffect, completion: CompleteTaskInput): Promise<string | null> {
    switch (effect.effect) {
      case 'next':
        return effect.next;
      case 'supplement':
        await requestSupplement(step, completion.actor, completion.comment ?? '');
        return step.id;
      case 'stop':
        throw new EndDossier(DossierStatus.Stopped, completion.actor, completion.comment ?? '', step.id);
    }
  }

  async function startProcessing(step: PlanStep) {
    if (status === DossierStatus.Accepted) await transition(DossierStatus.Processing, SYSTEM, `Chuyển xử lý: ${step.name}`, step.id);
  }

  /** The unit now answerable for the dossier: the one holding its open task, else the counter. */
  function responsibleUnit(): string {
    const open = Object.values(openTasks)[0];
    const step = open ? plan.steps[open.stepId] : undefined;
    if (step && (step.kind === 'task' || step.kind === 'reception')) return step.assignee.unit;
    const counter = Object.values(plan.steps).find((s) => s.kind === 'reception');
    return counter && counter.kind === 'reception' ? counter.assignee.unit : '';
  }

  const inProgress = () => !finished && !isTerminal(status) && status !== DossierStatus.Processed;

  /** Before the appointment passes with the dossier still in progress, the responsible leader apologises (form 04). */
  async function watchForApology(): Promise<void> {
    let apologisedFor = -1;
    while (inProgress() && appointmentAt) {
      const version = appointmentVersion;
      const changed = () => appointmentVersion !== version || !inProgress();
      if (apologisedFor === version || Date.now() >= Date.parse(appointmentAt)) {
        await condition(changed);
        continue;
      }
      const apologyAt = Date.parse(appointmentAt) - settings.apologyLeadMs;
      if (await condition(changed, Math.max(apologyAt - Date.now(), 1))) continue;
      if (status === DossierStatus.SupplementRequested || clockPaused) {
        // the clock is paused: the date will move when the applicant supplements or the period ends
        await condition(() => (status !== DossierStatus.SupplementRequested && !clockPaused) || !inProgress());
        continue;
      }
      apologisedFor = version;
      await apologise();
    }
  }

  /** When the appointment passes with the dossier still in progress, it is flagged overdue (read model and ops). */
  async function watchForOverdue(): Promise<void> {
    while (inProgress() && appointmentAt) {
      const version = appointmentVersion;
      const changed = () => appointmentVersion !== version || !inProgress();
      if (await condition(changed, Math.max(msUntil(appointmentAt), 1))) continue;
      if (!overdue && status !== DossierStatus.SupplementRequested && !clockPaused) {
        overdue = true;
        describe();
        await record('dossier-overdue', { actor: SYSTEM, reason: 'Hồ sơ quá hạn trả kết quả',
          data: { appointmentAt, steps: [...current], unit: responsibleUnit() }, dossier: { overdue: true } });
      }
      await condition(changed);
    }
  }

  /** The apology task: the leader sets a new appointment date; the applicant is told; both dates are kept. */
  async function apologise(): Promise<void> {
    // counted as a running sequence until the new date is recorded, so answers wait for it
    running += 1;
    try {
      const leader = await db.responsibleLeader({ agencyCode: plan.agency, unitCode: responsibleUnit() });
      const step: PlanStep = { id: APOLOGY_STEP, kind: 'task', name: 'Phiếu xin lỗi và hẹn lại ngày trả kết quả', next: null,
        assignee: leader, outcomes: { issued: { effect: 'next', next: null } } };
      const completion = await humanTask(step, leader, { issued: 'next' }, {
        type: 'object', required: ['newAppointmentAt', 'reason'], additionalProperties: false,
        properties: { newAppointmentAt: { type: 'string', format: 'date-time' }, reason: { type: 'string', minLength: 1 } },
      }, appointmentAt);
      const { newAppointmentAt, reason } = completion.data as { newAppointmentAt: string; reason: string };
      originalAppointmentAt ??= appointmentAt;
      const previous = appointmentAt;
      appointmentAt = new Date(newAppointmentAt).toISOString();
      appointmentVersion += 1;
      if (overdue && Date.parse(appointmentAt) > Date.now()) overdue = false;
      describe();
      await record('apology-issued', { actor: completion.actor, reason, stepId: APOLOGY_STEP,
        data: { previousAppointmentAt: previous, newAppointmentAt: appointmentAt, originalAppointmentAt },
        dossier: { appointmentAt, originalAppointmentAt, overdue } });
      await db.notify({ key: `${dossierCode}:apology:${appointmentVersion}`, dossierCode, template: 'apology',
        to: { applicant: true }, channels: ['email', 'sms', 'in-app'],
        data: { reason, newAppointmentAt: appointmentAt, previousAppointmentAt: previous } });
    } finally {
      running -= 1;
    }
  }

  let appointmentWatch: CancellationScope[] | undefined;
  function startAppointmentWatch() {
    appointmentWatch ??= [background(watchForApology), background(watchForOverdue)];
  }

  /**
   * Asks for the fees not yet paid (status 6) and waits until they are, or until the step's deadline.
   * Returns whether everything was paid; the status goes back to what it was.
   */
  async function collectFees(step: PlanStep, feeCodes: string[]): Promise<boolean> {
    const fees = plan.fees.filter((f) => feeCodes.includes(f.code));
    const { unpaid } = await db.requestPayments({ dossierCode, fees });
    const outstanding = () => unpaid.filter((c) => !paid.has(c));
    if (outstanding().length === 0) return true;
    const resumeTo = status;
    const online = patched('online-payments') ? await payActs.offerOnlinePayments({ dossierCode, feeCodes: outstanding() }) : [];
    const amount = fees.filter((f) => unpaid.includes(f.code)).reduce((sum, f) => sum + f.amount, 0);
    await transition(DossierStatus.PaymentRequested, SYSTEM, `Yêu cầu nộp ${amount} đồng: ${fees.map((f) => f.name).join(', ')}`, step.id);
    await db.notify({ key: `${dossierCode}:fee-due:${step.id}:${eventCount}`, dossierCode, template: 'fee-due', to: { applicant: true },
      channels: ['email', 'sms', 'in-app'], data: { fees: fees.filter((f) => unpaid.includes(f.code)), amount, payments: online } });
    const deadline = step.kind === 'payment' && step.deadline
      ? Date.parse(await db.computeDue({ agencyCode: plan.agency, from: nowToMinute(), duration: step.deadline }))
      : undefined;
    awaitingPayment = true;
    try {
      while (outstanding().length) {
        const woke = await waitFor(() => paymentSignals > 0, deadline === undefined ? undefined : deadline - Date.now());
        unconsumed -= paymentSignals;
        paymentSignals = 0;
        if (!woke) break;
      }
    } finally {
      awaitingPayment = false;
    }
    const complete = outstanding().length === 0;
    if (complete) await transition(resumeTo, lastActor, 'Đã hoàn thành nghĩa vụ tài chính', step.id);
    return complete;
  }

  /** Hands the dossier to a procedure published on this platform: a linked partner dossier, awaited to its end. */
  async function handoff(step: HandoffStep): Promise<string | null> {
    await startProcessing(step);
    if (step.endpoint) return externalHandoff(step, step.endpoint);
    if (!step.procedure) throw ApplicationFailure.nonRetryable(`handoff step ${step.id} names neither a procedure nor an endpoint`, 'PlanError');
    const iteration = (iterations[step.id] ?? 0) + 1;
    iterations[step.id] = iteration;
    const handedAt = nowToMinute();
    const dueAt = step.deadline ? await db.computeDue({ agencyCode: plan.agency, from: handedAt, duration: step.deadline }) : undefined;
    const partner = await db.createLinkedDossier({ parentCode: dossierCode, stepId: step.id, iteration, procedureCode: step.procedure,
      toAgency: step.to.agency, actor: lastActor, dueAt });
    await record('handoff-sent', { actor: lastActor, stepId: step.id,
      data: { to: step.to.agency, procedure: step.procedure, partnerDossier: partner.code, dueAt, iteration }, dossier: { currentSteps: [...current] } });
    children.add(partner.code);
    blocked += 1;
    let result: DossierResult;
    try {
      result = await executeChild(dossierWorkflow, {
        workflowId: partner.code,
        args: [{ dossierCode: partner.code, plan: partner.plan, channel: 'online', returnChannel: 'electronic',
          submittedAt: partner.submittedAt, application: partner.application, settings: input.settings }],
        parentClosePolicy: 'ABANDON',
        // the partner's dossier belongs to another agency: it is withdrawn explicitly, never cancelled under it
        cancellationType: ChildWorkflowCancellationType.ABANDON,
      });
      children.delete(partner.code);
    } finally {
      blocked -= 1;
    }
    const outcome = result.status === DossierStatus.Returned ? 'done' : 'refused';
    const returnedAt = now();
    const timing = hopTiming(returnedAt, dueAt);
    await db.closeHandoff({ parentCode: dossierCode, stepId: step.id, iteration, outcome, at: returnedAt });
    await record('handoff-returned', { actor: SYSTEM, stepId: step.id, reason: `${partner.code}: ${STATUS_LABELS[result.status]}`,
      data: { partnerDossier: partner.code, outcome, partnerStatus: result.status, dueAt, timing } });
    data.steps[step.id] = { outcome, partnerDossier: partner.code, partnerStatus: result.status };
    const effect = step.outcomes[outcome] ?? { effect: 'next', next: step.next };
    return applyEffect(step, effect, { taskId: '', outcome, actor: SYSTEM,
      comment: `Hồ sơ liên thông ${partner.code}: ${STATUS_LABELS[result.status]}` });
  }

  /** External handoffs whose partner still has the dossier, by handoff id: told when the dossier ends early. */
  const openExternal: Record<string, { stepId: string; iteration: number; endpoint: string; toAgency: string }> = {};

  /**
   * Sends the dossier package to an external partner (signed, with an idempotency key) and waits for its
   * signed answer until the step's deadline. The answer's `done`/`refused` picks the step's outcome; no
   * answer in time takes the `timeout` outcome, or stops the dossier when the step has none.
   */
  async function externalHandoff(step: HandoffStep, endpoint: string): Promise<string | null> {
    const iteration = (iterations[step.id] ?? 0) + 1;
    iterations[step.id] = iteration;
    const key = `${step.id}:${iteration}`;
    // a wall-clock deadline (tests, demos) counts from the instant itself, not from the minute
    const handedAt = step.deadline && 'iso' in step.deadline ? now() : nowToMinute();
    const dueAt = step.deadline ? await db.computeDue({ agencyCode: plan.agency, from: handedAt, duration: step.deadline }) : undefined;
    const remaining = () => (dueAt ? msUntil(dueAt) : undefined);
    const handoffId = uuid4();
    expectedAnswers.add(key);
    const answered = () => partnerAnswers[key] !== undefined;
    /** Stops listening for the partner; an answer that came in the meantime is dropped (the hop is being closed). */
    const stopExpecting = () => {
      expectedAnswers.delete(key);
      if (!answered()) return;
      delete partnerAnswers[key];
      unconsumed -= 1;
    };
    let sent = false;
    let rejected: string | undefined;
    openExternal[handoffId] = { stepId: step.id, iteration, endpoint, toAgency: step.to.agency };
    const sending = new CancellationScope();
    void sending.run(() => partners.sendHandoffPackage({ handoffId, dossierCode, stepId: step.id, iteration, endpoint,
      fromAgency: plan.agency, toAgency: step.to.agency, actor: lastActor, handedAt, dueAt }))
      .then(() => { sent = true; }, (err: Error & { cause?: Error }) => {
        if (!isCancellation(err)) rejected = err.cause?.message ?? err.message;
      });
    const close = (outcome: string, fields: { reason?: string; answer?: PartnerAnswerInput } = {}) => {
      delete openExternal[handoffId];
      return partnerRecords.closeExternalHandoff({ handoffId, outcome, reason: fields.reason, data: fields.answer?.data, receivedBy: fields.answer?.receivedBy,
        receivedAt: fields.answer?.receivedAt, answeredBy: fields.answer?.answeredBy, at: now() });
    };
    try {
      const delivered = await waitFor(() => sent || rejected !== undefined || answered(), remaining());
      if (!delivered) sending.cancel();
      if (rejected !== undefined && !answered()) {
        stopExpecting();
        const reason = `Cơ quan ${step.to.agency} không nhận hồ sơ liên thông: ${rejected}`;
        await close('refused', { reason });
        await record('handoff-rejected', { actor: SYSTEM, stepId: step.id, reason, data: { handoffId, to: step.to.agency, endpoint, iteration } });
        data.steps[step.id] = { outcome: 'refused', reason };
        return applyEffect(step, step.outcomes.refused, { taskId: '', outcome: 'refused', actor: SYSTEM, comment: reason });
      }
      if (delivered) {
        await record('handoff-sent', { actor: lastActor, stepId: step.id,
          data: { handoffId, to: step.to.agency, endpoint, dueAt, iteration }, dossier: { currentSteps: [...current] } });
      }
      if (!delivered || !(await waitFor(answered, remaining()))) {
        stopExpecting();
        const reason = `Cơ quan ${step.to.agency} không trả lời hồ sơ liên thông trước hạn${dueAt ? ` ${dueAt}` : ''}`;
        await close('timeout', { reason });
        await record('handoff-timeout', { actor: SYSTEM, stepId: step.id, reason, data: { handoffId, to: step.to.agency, dueAt, iteration } });
        data.steps[step.id] = { outcome: 'timeout' };
        return applyEffect(step, step.outcomes.timeout ?? { effect: 'stop' }, { taskId: '', outcome: 'timeout', actor: SYSTEM, comment: reason });
      }
    } finally {
      expectedAnswers.delete(key);
    }
    const answer = partnerAnswers[key];
    stopExpecting();
    const returnedAt = now();
    const reason = answer.reason ?? `Cơ quan ${step.to.agency}: ${answer.outcome === 'done' ? 'đã xử lý xong' : 'từ chối'}`;
    await close(answer.outcome, { reason, answer });
    const partner: Actor = { username: answer.answeredBy ?? step.to.agency };
    await record('handoff-returned', { actor: partner, stepId: step.id, reason,
      data: { handoffId, to: step.to.agency, outcome: answer.outcome, dueAt, timing: hopTiming(returnedAt, dueAt),
        receivedBy: answer.receivedBy, receivedAt: answer.receivedAt } });
    data.steps[step.id] = { outcome: answer.outcome, reason: answer.reason, data: answer.data ?? {} };
    const effect = step.outcomes[answer.outcome] ?? { effect: 'next', next: step.next };
    return applyEffect(step, effect, { taskId: '', outcome: answer.outcome, actor: partner, comment: reason });
  }

  async function reception(step: Extract<PlanStep, { kind: 'reception' }>): Promise<string | null> {
    let completion: CompleteTaskInput;
    if (input.receivedBy && !iterations[step.id]) {
      iterations[step.id] = 1;
      completion = { taskId: '', outcome: 'accept', actor: input.receivedBy, comment: 'Tiếp nhận tại Bộ phận Một cửa' };
    } else {
      // the law gives the counter 8 working hours to check an online dossier: the default when the designer set no deadline
      const intake = !step.deadline && input.channel === 'online' && patched('online-intake-8h')
        ? { ...step, deadline: ONLINE_INTAKE } : step;
      completion = await humanTask(intake, step.assignee, { accept: 'next', supplement: 'supplement', refuse: 'refuse' });
    }
    switch (completion.outcome as ReceptionOutcome) {
      case 'accept': {
        const acceptedAt = nowToMinute();
        appointmentAt = await db.computeDue({ agencyCode: plan.agency, from: acceptedAt, duration: plan.deadline });
        appointmentVersion += 1;
        await transition(DossierStatus.Accepted, completion.actor, completion.comment ?? 'Tiếp nhận hồ sơ', step.id,
          { acceptedAt, appointmentAt });
        await db.notify({ key: `${dossierCode}:accepted`, dossierCode, template: 'accepted', to: { applicant: true },
          channels: ['in-app'], data: { appointmentAt } });
        startAppointmentWatch();
        return step.next;
      }
      case 'supplement':
        await requestSupplement(step, completion.actor, completion.comment ?? '');
        return step.id;
      case 'refuse':
        throw new EndDossier(DossierStatus.Refused, completion.actor, completion.comment ?? '', step.id);
    }
  }

  /** The counter hands the result over: an officer of the reception step's unit confirms it. */
  async function handOverAtCounter(step: ReturnStep): Promise<Actor> {
    const counter = Object.values(plan.steps).find((s) => s.kind === 'reception');
    const assignee = counter && counter.kind === 'reception' ? counter.assignee : undefined;
    if (!assignee) throw ApplicationFailure.nonRetryable('no reception step names the counter for the hand-over', 'PlanError');
    const completion = await humanTask(step, assignee, { 'handed-over': 'next' });
    return completion.actor;
  }

  /**
   * Sends the result by post and waits for the post's delivery report. Inside the province a delivery
   * later than `postalDueMs` after the order is flagged: when the time passes, or when the report says so.
   */
  async function deliverByPost(step: ReturnStep): Promise<{ actor: Actor; data: Record<string, unknown> }> {
    const iteration = (iterations[step.id] ?? 0) + 1;
    iterations[step.id] = iteration;
    let order: PostalOrder;
    try {
      order = await files.createPostalOrder({ dossierCode, stepId: step.id, iteration, dueWithinMs: settings.postalDueMs ?? 24 * HOUR });
    } catch (err) {
      if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'PostalAddressMissingError') {
        await record('postal-order-impossible', { actor: SYSTEM, stepId: step.id, reason: err.cause.message });
        return { actor: await handOverAtCounter(step), data: { channel: 'counter', requested: 'postal' } };
      }
      throw err;
    }
    await record('postal-order-created', { actor: SYSTEM, stepId: step.id,
      data: { orderId: order.orderId, trackingNo: order.trackingNo, inProvince: order.inProvince, dueAt: order.dueAt } });
    const arrived = () => postalDeliveries[order.orderId] !== undefined;
    let late = false;
    const flagLate = async (reason: string) => {
      late = true;
      await files.flagLateDelivery({ dossierCode, orderId: order.orderId });
      await record('postal-delivery-late', { actor: SYSTEM, stepId: step.id, reason,
        data: { orderId: order.orderId, dueAt: order.dueAt } });
    };
    if (order.dueAt && !(await waitFor(arrived, msUntil(order.dueAt)))) {
      await flagLate(`Chưa phát xong kết quả qua bưu chính sau hạn ${order.dueAt}`);
    }
    await waitFor(arrived);
    const delivery = postalDeliveries[order.orderId];
    unconsumed -= 1;
    if (!late && order.dueAt && Date.parse(delivery.deliveredAt) > Date.parse(order.dueAt)) {
      await flagLate(`Phát kết quả qua bưu chính trễ hạn (${delivery.deliveredAt} > ${order.dueAt})`);
    }
    return { actor: delivery.actor, data: { channel: 'postal', orderId: order.orderId, deliveredAt: delivery.deliveredAt,
      receivedBy: delivery.receivedBy, late } };
  }

  async function returnResult(step: ReturnStep): Promise<string | null> {
    await transition(DossierStatus.Processed, lastActor, 'Đã xử lý xong, kết quả chuyển về Bộ phận Một cửa', step.id,
      { finishedAt: now() });
    const beforeReturn = plan.fees.filter((f) => f.collect === 'before-return').map((f) => f.code);
    if (beforeReturn.length) await collectFees(step, beforeReturn);
    const channel = input.returnChannel;
    let actor = SYSTEM;
    if (channel === 'electronic') {
      const pushed = patched('results-to-data-store') ? await files.pushResultsToDataStore({ dossierCode }) : undefined;
      await record('result-delivered', { actor: SYSTEM, stepId: step.id, data: { channel, ...pushed } });
    } else if (channel === 'postal' && patched('postal-return')) {
      const delivered = await deliverByPost(step);
      actor = delivered.actor;
      await record('result-delivered', { actor, stepId: step.id, data: delivered.data });
    } else {
      actor = await handOverAtCounter(step);
    }
    await transition(DossierStatus.Returned, actor, `Đã trả kết quả (${channel})`, step.id, { returnedAt: now() });
    return step.next;
  }

  async function execute(step: PlanStep): Promise<string | null> {
    switch (step.kind) {
      case 'reception':
        return reception(step);
      case 'task': {
        await startProcessing(step);
        const effects = Object.fromEntries(Object.entries(step.outcomes).map(([name, e]) => [name, e.effect]));
        const completion = await humanTask(step, step.assignee, effects, step.form);
        data.steps[step.id] = completion.data ?? {};
        return applyEffect(step, step.outcomes[completion.outcome], completion);
      }
      case 'return':
        return returnResult(step);
      case 'wait': {
        // a posting period is part of processing: status 4, and the read model shows the step (older runs did neither)
        const visible = patched('wait-visible');
        if (visible) await startProcessing(step);
        const until = await db.computeDue({ agencyCode: plan.agency, from: nowToMinute(), duration: step.duration });
        // a period the law does not count (e.g. public posting for land) stops the legal clock, like a supplement
        const pauses = visible && step.pausesClock === true && appointmentAt !== undefined;
        const pausedFrom = nowToMinute();
        if (visible) {
          await record('wait-started', { actor: SYSTEM, stepId: step.id, data: { until, pausesClock: pauses },
            dossier: { currentSteps: [...current] } });
        }
        if (pauses) clockPaused = true;
        try {
          await waitFor(() => false, msUntil(until));
        } finally {
          clockPaused = false;
        }
        if (pauses && appointmentAt) {
          const previous = appointmentAt;
          const pausedTo = nowToMinute();
          appointmentAt = await db.shiftByPause({ agencyCode: plan.agency, instant: appointmentAt, pausedFrom, pausedTo });
          appointmentVersion += 1;
          describe();
          await record('clock-resumed', { actor: SYSTEM, stepId: step.id, reason: `Hết thời gian ${step.name ?? 'chờ'}; thời gian này không tính vào thời hạn giải quyết`,
            data: { pausedFrom, pausedTo, previousAppointmentAt: previous, appointmentAt }, dossier: { appointmentAt } });
        }
        return step.next;
      }
      case 'decision': {
        const match = step.cases.find((c) => Boolean(jsonLogic.apply(c.when as jsonLogic.RulesLogic, data)));
        return match ? match.next : step.otherwise;
      }
      case 'parallel': {
        running -= 1;
        running += step.branches.length;
        try {
          await Promise.all(step.branches.map(async (b) => {
            try {
              await runSequence(b.start, false);
            } finally {
              running -= 1;
            }
          }));
        } finally {
          running += 1;
        }
        return step.next;
      }
      case 'digitize': {
        // the officer who received the dossier digitizes it (at the counter, the one who took it in)
        const actor = lastActor.username === SYSTEM.username && input.receivedBy ? input.receivedBy : lastActor;
        const result = await db.digitize({ dossierCode, stepId: step.id, documents: step.documents, actor });
        await record('digitized', { actor, stepId: step.id, data: result });
        return step.next;
      }
      case 'payment': {
        const paidAll = await collectFees(step, step.fees);
        if (!paidAll && step.onTimeout === 'stop') {
          throw new EndDossier(DossierStatus.Stopped, SYSTEM, 'Quá hạn thực hiện nghĩa vụ tài chính', step.id);
        }
        return step.next;
      }
      case 'handoff':
        return handoff(step);
      case 'notify': {
        const iteration = (iterations[step.id] ?? 0) + 1;
        iterations[step.id] = iteration;
        await db.notify({ key: `${dossierCode}:${step.id}:${iteration}`, dossierCode, template: step.template, channels: step.channels,
          to: step.to === 'applicant' ? { applicant: true } : { ...step.to, agency: plan.agency },
          data: { stepName: step.name, procedureName: plan.name, status, appointmentAt } });
        await record('notified', { actor: SYSTEM, stepId: step.id, data: { template: step.template, to: step.to, channels: step.channels } });
        return step.next;
      }
      default:
        return assertNever(step);
    }
  }

  /**
   * A long history continues as new at a safe point: at top level, before a human task (whose opening
   * changes no status, so an officer's answer given at the hand-over stays true), with no task open.
   */
  function timeToContinue(step: PlanStep): boolean {
    return workflowInfo().historyLength > settings.historyLimit && step.kind === 'task'
      && status !== DossierStatus.Accepted && Object.keys(openTasks).length === 0;
  }

  /** Walks one list of steps. */
  async function runSequence(start: string | null, topLevel: boolean): Promise<void> {
    let id = start;
    while (id) {
      const step = plan.steps[id];
      if (topLevel && timeToContinue(step)) throw new Continue(id);
      current.add(step.id);
      describe();
      try {
        id = await execute(step);
      } finally {
        current.delete(step.id);
      }
    }
  }

  if (!resume) {
    upsertSearchAttributes([
      { key: SA.dossierCode, value: dossierCode },
      { key: SA.procedureCode, value: plan.code },
      { key: SA.procedureVersion, value: plan.version },
      { key: SA.agency, value: plan.agency },
    ]);
  }
  describe();
  if (appointmentAt && !isTerminal(status)) startAppointmentWatch();

  let continueFrom: string | undefined;
  try {
    await main.run(() => runSequence(resume?.nextStep ?? plan.start, true));
  } catch (err) {
    if (err instanceof EndDossier) ending = err;
    else if (err instanceof Continue) continueFrom = err.nextStep;
    else if (isCancellation(err)) {
      // a cancellation from outside (ops, in the Temporal UI) stops the dossier with a record of it
      ending ??= new EndDossier(DossierStatus.Stopped, SYSTEM, CANCELLED_BY_OPS);
    } else throw err;
  }
  appointmentWatch?.forEach((scope) => scope.cancel());
  if (continueFrom) {
    // answers still waiting report the state handed over; the continuation carries on from there
    finished = true;
    current.add(continueFrom);
    await condition(allHandlersFinished);
    return continueAsNew<typeof dossierWorkflow>({
      ...input,
      receivedBy: undefined,
      resume: { nextStep: continueFrom, status, eventCount, appointmentAt, originalAppointmentAt, overdue, supplementCount,
        iterations, stepData: data.steps, lastActor },
    });
  }
  if (ending) {
    let end = ending;
    main.cancel();
    current.clear();
    for (const id of Object.keys(openTasks)) delete openTasks[id];
    await CancellationScope.nonCancellable(async () => {
      if (end.reason === CANCELLED_BY_OPS && patched('cancel-reason')) {
        // the reason ops typed into the Temporal UI's Cancel dialog, when they gave one
        const cause = await attentionFlags.cancellationCause({ workflowId: workflowInfo().workflowId, runId: workflowInfo().runId })
          .catch(() => null);
        if (cause) end = new EndDossier(end.status, end.actor, `${CANCELLED_BY_OPS}: ${cause.slice(0, 1000)}`);
      }
      await db.cancelOpenTasks({ dossierCode, reason: end.reason });
      const external = Object.entries(openExternal);
      if (external.length && patched('cancel-external-handoffs')) {
        for (const [handoffId, hop] of external) {
          const told = await partnerNotices.cancelExternalHandoff({ handoffId, dossierCode, ...hop, status: end.status, reason: end.reason, at: now() })
            .then(() => true, () => false);
          await record(told ? 'handoff-cancelled' : 'handoff-cancel-undelivered', { actor: end.actor, stepId: hop.stepId, reason: end.reason,
            data: { handoffId, to: hop.toAgency, iteration: hop.iteration } });
        }
      }
      for (const child of children) {
        await getExternalWorkflowHandle(child).signal(withdrawSignal, { actor: end.actor, reason: `Hồ sơ ${dossierCode}: ${end.reason}` })
          .catch(() => undefined);
      }
      await transition(end.status, end.actor, end.reason, end.stepId, { finishedAt: now() });
    });
  }
  finished = true;
  describe();
  // after a cancellation (ops, in the Temporal UI) the dossier has ended with status 8 above: the run completes with it
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  return { status };
}

function assertNever(x: never): never {
  throw ApplicationFailure.nonRetryable(`unknown step kind in ${JSON.stringify(x)}`, 'PlanError');
}
