/**
 * The context a step receives: the contract between the walker and the steps. It holds the run's input,
 * plan, settings and state, the guarded activity proxies, and the few verbs every step uses.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  setCurrentDetails,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { DossierActivities, RecordEventInput } from '../../activities/types';
import type { HandoffActivities } from '../../activities/handoffs';
import type { PaymentActivities } from '../../activities/payments';
import type { DocumentActivities } from '../../activities/documents-types';
import type { Assignee, OutcomeEffect, Plan, PlanStep } from '../../domain/plan';
import { SA } from '../../domain/search-attributes';
import { DossierStatus, STATUS_LABELS, type DossierStatusCode } from '../../domain/status';
import type { Actor, CompleteTaskInput, DossierSettings, DossierWorkflowInput } from '../messages';
import { HANDLED_FAILURES, attentionFlags, docs, localDb, partners, payments, remoteDb } from '../activity-proxies';
import { DEFAULT_SETTINGS, SYSTEM, createState, now, type DossierState } from '../dossier-state';
import { applyEffect, humanTask } from './human-task';

export interface StepContext {
  input: DossierWorkflowInput;
  plan: Plan;
  dossierCode: string;
  settings: DossierSettings;
  state: DossierState;
  /** the scope the plan runs in: cancelled to end the dossier from a message */
  main: CancellationScope;
  /** the read model and the calendar (local activities, one at a time, on runs that have them) */
  db: DossierActivities;
  /** the read model written by an ordinary activity: runs only once what asked for it is in the history */
  durableDb: DossierActivities;
  payActs: PaymentActivities;
  files: DocumentActivities;
  partners: HandoffActivities;
  partnerRecords: HandoffActivities;
  record(type: string, fields: Omit<RecordEventInput, 'dossierCode' | 'key' | 'type' | 'at'>): Promise<void>;
  transition(to: DossierStatusCode, actor: Actor, reason: string, stepId?: string, patch?: object): Promise<void>;
  /** Waits for `predicate`, counting this sequence as settled meanwhile. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<boolean>;
  /** Opens a task for a human step, waits for its completion and returns it. */
  humanTask(step: PlanStep, assignee: Assignee, effects: Record<string, string>,
    form?: Record<string, unknown>, dueOverride?: string): Promise<CompleteTaskInput>;
  /** Applies an outcome effect; returns the next step id (possibly the same step again). */
  applyEffect(step: PlanStep, effect: OutcomeEffect, completion: CompleteTaskInput): Promise<string | null>;
  /** Shows the state in the Temporal UI and the search attributes. */
  describe(): void;
  /** Runs `body` beside the interpreter; cancelled with the returned scope (or with the dossier). */
  background(body: () => Promise<void>): CancellationScope;
  /** Status 3 → 4 when the first processing step starts. */
  startProcessing(step: PlanStep): Promise<void>;
  /** Walks a parallel branch to its end (set by the walker). */
  runBranch(start: string | null): Promise<void>;
}

export function createContext(input: DossierWorkflowInput): StepContext {
  const { plan, dossierCode } = input;
  const settings: DossierSettings = { ...DEFAULT_SETTINGS, ...input.settings };
  const state = createState(input);
  const main = new CancellationScope();

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

  /**
   * An activity failed for good: shown to ops, then waits for a repair (the caller retries the activity).
   * A cancellation meanwhile (the Temporal UI's Cancel) ends the dossier with status 8.
   */
  async function attend(activity: string, cause: Error | undefined): Promise<void> {
    const type = cause instanceof ApplicationFailure ? cause.type ?? 'ApplicationFailure' : cause?.name ?? 'ActivityFailure';
    state.attention = { activity, type, message: (cause?.message ?? 'failed').slice(0, 2000), steps: [...state.current], since: now() };
    describe();
    await attentionFlags.flagAttention({ dossierCode, attention: state.attention }).catch(() => undefined);
    const seen = state.repairs;
    await waitFor(() => state.repairs > seen);
    state.attention = undefined;
    describe();
    await attentionFlags.flagAttention({ dossierCode, attention: null }).catch(() => undefined);
  }

  function describe(): void {
    const { status, overdue, attention, current } = state;
    const steps = [...current].map((id) => plan.steps[id]?.name ?? id).join(', ');
    setCurrentDetails(`**${plan.name}** (${plan.code} v${plan.version})\n\nTrạng thái: ${status} – ${STATUS_LABELS[status]}` +
      (overdue ? ' (quá hạn)' : '') + (steps ? `\n\nBước hiện tại: ${steps}` : '') +
      (attention ? `\n\n**Cần xử lý (needs attention)**: ${attention.activity} failed (${attention.type}): ${attention.message}\n\n` +
        'Fix the cause, then send the signal `repairDossier` to retry, or cancel the run to stop the dossier (status 8).' : ''));
    // NeedsAttention is written once a failure has been shown, so the runs recorded before it replay unchanged
    if (attention) state.attentionShown = true;
    upsertSearchAttributes([
      { key: SA.status, value: String(status) },
      { key: SA.currentStep, value: [...current].join(',') || null },
      { key: SA.appointmentAt, value: state.appointmentAt ? new Date(state.appointmentAt) : null },
      { key: SA.overdue, value: overdue },
      ...(state.attentionShown ? [{ key: SA.needsAttention, value: attention !== undefined }] : []),
    ]);
  }

  async function waitFor(predicate: () => boolean, timeoutMs?: number): Promise<boolean> {
    state.blocked += 1;
    try {
      return timeoutMs === undefined ? (await condition(predicate), true) : await condition(predicate, Math.max(timeoutMs, 1));
    } finally {
      state.blocked -= 1;
    }
  }

  const local = patched('local-read-model');
  const db = guarded(local ? localDb : remoteDb, { serial: local && patched('serial-local-activities') });

  const ctx: StepContext = {
    input, plan, dossierCode, settings, state, main, db,
    durableDb: guarded(remoteDb),
    payActs: guarded(payments),
    files: guarded(docs),
    partners,
    partnerRecords: guarded(partners),
    async record(type, fields) {
      state.eventCount += 1;
      await db.recordEvent({ dossierCode, key: `wf-${state.eventCount}`, type, at: now(), ...fields });
    },
    async transition(to, actor, reason, stepId, patch = {}) {
      const from = state.status;
      state.status = to;
      describe();
      await ctx.record('status', {
        fromStatus: from, toStatus: to, actor, reason, stepId,
        dossier: { status: to, currentSteps: [...state.current], ...patch },
      });
    },
    waitFor,
    humanTask: (step, assignee, effects, form, dueOverride) => humanTask(ctx, step, assignee, effects, form, dueOverride),
    applyEffect: (step, effect, completion) => applyEffect(ctx, step, effect, completion),
    describe,
    background(body) {
      const scope = new CancellationScope();
      scope.run(body).catch((err) => {
        if (!isCancellation(err)) throw err;
      });
      return scope;
    },
    async startProcessing(step) {
      if (state.status === DossierStatus.Accepted) await ctx.transition(DossierStatus.Processing, SYSTEM, `Chuyển xử lý: ${step.name}`, step.id);
    },
    runBranch: () => Promise.reject(new Error('the walker sets runBranch')),
  };
  return ctx;
}
