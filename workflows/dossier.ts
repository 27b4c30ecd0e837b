/**
 * The procedure interpreter: one workflow runs every dossier of every procedure, walking the compiled
 * plan it received in its input. Workflow id = dossier code.
 *
 * This file is the entry: it builds the state and the step context, registers the message handlers, runs
 * the plan (`interpreter/run.ts`, one executor per step kind in `steps/`) and ends the dossier. The legal
 * clock is in `legal-clock.ts`, the state and its view in `dossier-state.ts`.
 */
import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { SA } from '../domain/search-attributes';
import { DossierStatus, isTerminal } from '../domain/status';
import { withdrawSignal, type DossierWorkflowInput } from './messages';
import { attentionFlags, partnerNotices } from './activity-proxies';
import { Continue, EndDossier, SYSTEM, now, type DossierResult } from './dossier-state';
import { createContext, type StepContext } from './interpreter/context';
import { runPlan } from './interpreter/run';
import { registerHandlers } from './handlers';
import { startAppointmentWatch, stopAppointmentWatch } from './legal-clock';

export { APOLOGY_STEP } from './legal-clock';
export { DEFAULT_SETTINGS, type DossierResult } from './dossier-state';

/** The reason of a stop that ops asked for by cancelling the run (followed by what they typed, if anything). */
const CANCELLED_BY_OPS = 'Dừng xử lý do hủy quy trình từ hệ thống vận hành';

export async function dossierWorkflow(input: DossierWorkflowInput): Promise<DossierResult> {
  const { plan, dossierCode, resume } = input;
  const ctx = createContext(input);
  const { state, main } = ctx;
  registerHandlers(ctx);

  if (!resume) {
    upsertSearchAttributes([
      { key: SA.dossierCode, value: dossierCode },
      { key: SA.procedureCode, value: plan.code },
      { key: SA.procedureVersion, value: plan.version },
      { key: SA.agency, value: plan.agency },
    ]);
  }
  ctx.describe();
  if (state.appointmentAt && !isTerminal(state.status)) startAppointmentWatch(ctx);

  let continueFrom: string | undefined;
  try {
    await main.run(() => runPlan(ctx, resume?.nextStep ?? plan.start));
  } catch (err) {
    if (err instanceof EndDossier) state.ending = err;
    else if (err instanceof Continue) continueFrom = err.nextStep;
    else if (isCancellation(err)) {
      // a cancellation from outside (ops, in the Temporal UI) stops the dossier with a record of it
      state.ending ??= new EndDossier(DossierStatus.Stopped, SYSTEM, CANCELLED_BY_OPS);
    } else throw err;
  }
  stopAppointmentWatch(ctx);
  if (continueFrom) {
    // answers still waiting report the state handed over; the continuation carries on from there
    state.finished = true;
    state.current.add(continueFrom);
    await condition(allHandlersFinished);
    const { status, eventCount, appointmentAt, originalAppointmentAt, overdue, supplementCount, iterations, lastActor } = state;
    return continueAsNew<typeof dossierWorkflow>({
      ...input,
      receivedBy: undefined,
      resume: { nextStep: continueFrom, status, eventCount, appointmentAt, originalAppointmentAt, overdue, supplementCount,
        iterations, stepData: state.data.steps, lastActor },
    });
  }
  if (state.ending) await endDossier(ctx, state.ending);
  state.finished = true;
  ctx.describe();
  // after a cancellation (ops, in the Temporal UI) the dossier has ended with status 8 above: the run completes with it
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  return { status: state.status };
}

/**
 * Ends the dossier early (refusal, stop, withdrawal, cancellation by ops): open tasks are cancelled, partners
 * holding the dossier are told, and the final status is recorded.
 */
function endDossier(ctx: StepContext, ending: EndDossier): Promise<void> {
  const { state, main, dossierCode } = ctx;
  let end = ending;
  main.cancel();
  state.current.clear();
  for (const id of Object.keys(state.openTasks)) delete state.openTasks[id];
  // returned, not awaited here: the run goes on in the same turn as it did when this was inline
  return CancellationScope.nonCancellable(async () => {
    if (end.reason === CANCELLED_BY_OPS && patched('cancel-reason')) {
      // the reason ops typed into the Temporal UI's Cancel dialog, when they gave one
      const cause = await attentionFlags.cancellationCause({ workflowId: workflowInfo().workflowId, runId: workflowInfo().runId })
        .catch(() => null);
      if (cause) end = new EndDossier(end.status, end.actor, `${CANCELLED_BY_OPS}: ${cause.slice(0, 1000)}`);
    }
    await ctx.db.cancelOpenTasks({ dossierCode, reason: end.reason });
    const external = Object.entries(state.openExternal);
    if (external.length && patched('cancel-external-handoffs')) {
      for (const [handoffId, hop] of external) {
        const told = await partnerNotices.cancelExternalHandoff({ handoffId, dossierCode, ...hop, status: end.status, reason: end.reason, at: now() })
          .then(() => true, () => false);
        await ctx.record(told ? 'handoff-cancelled' : 'handoff-cancel-undelivered', { actor: end.actor, stepId: hop.stepId, reason: end.reason,
          data: { handoffId, to: hop.toAgency, iteration: hop.iteration } });
      }
    }
    for (const child of state.children) {
      await getExternalWorkflowHandle(child).signal(withdrawSignal, { actor: end.actor, reason: `Hồ sơ ${dossierCode}: ${end.reason}` })
        .catch(() => undefined);
    }
    await ctx.transition(end.status, end.actor, end.reason, end.stepId, { finishedAt: now() });
  });
}
