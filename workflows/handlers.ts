/**
 * The dossier's messages: the query and updates that answer with its view, and the signals that bring in
 * what the interpreter waits for (completions, supplements, payments, partner answers, postal deliveries).
 */
import { ApplicationFailure, condition, patched, setHandler } from '@temporalio/workflow';
import { DossierStatus, isTerminal } from '../domain/status';
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
} from './messages';
import { EndDossier, now, settled, view } from './dossier-state';
import type { StepContext } from './interpreter/context';

export function registerHandlers(ctx: StepContext): void {
  const { state, dossierCode, durableDb, main } = ctx;
  const currentView = () => view(state);

  setHandler(getDossierQuery, currentView);
  setHandler(observeDossierUpdate, async () => {
    await condition(() => settled(state));
    return currentView();
  });
  setHandler(
    completeTaskUpdate,
    async (completion) => {
      const task = state.openTasks[completion.taskId];
      task.accepted = true;
      if (patched('durable-completion')) {
        // An Update is not in the history until its workflow task completes: an ordinary activity records the
        // completion only once it is, so a crash can never leave the read model ahead of the workflow.
        await durableDb.closeTask({ taskId: task.taskId, outcome: completion.outcome, data: completion.data,
          comment: completion.comment, actor: completion.actor, at: now(), requestKey: completion.requestKey });
        if (state.finished || state.openTasks[task.taskId] !== task) return currentView();
      }
      task.completion = completion;
      state.unconsumed += 1;
      await condition(() => (task.consumed || state.finished) && settled(state));
      return currentView();
    },
    {
      validator: (completion) => {
        const task = state.openTasks[completion.taskId];
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
      state.stopping = true;
      if (patched('durable-stop')) {
        // recorded by an ordinary activity, so the stop is in the history before anything is closed or told
        state.eventCount += 1;
        await durableDb.recordEvent({ dossierCode, key: `wf-${state.eventCount}`, type: 'stop-requested', actor: stop.actor,
          reason: stop.reason, at: now() });
      }
      if (!state.ending && !state.finished) {
        state.ending = new EndDossier(DossierStatus.Stopped, stop.actor, stop.reason);
        state.unconsumed += 1;
        main.cancel();
      }
      await condition(() => state.finished);
      return currentView();
    },
    {
      validator: (stop) => {
        if (state.stopping || state.ending || state.finished || isTerminal(state.status)) {
          throw ApplicationFailure.create({ type: FailureTypes.dossierEnded, message: `dossier ${dossierCode} has already ended` });
        }
        if (!stop.reason?.trim()) {
          throw ApplicationFailure.create({ type: FailureTypes.reasonRequired, message: 'stopping a dossier needs the reasons' });
        }
      },
    },
  );
  setHandler(repairDossierSignal, () => {
    if (state.attention) state.repairs += 1;
  });
  setHandler(supplementSignal, (s) => {
    if (state.status !== DossierStatus.SupplementRequested || state.supplement) return;
    state.supplement = s;
    state.unconsumed += 1;
  });
  setHandler(paymentConfirmedSignal, (p) => {
    if (state.paid.has(p.feeCode)) return;
    state.paid.add(p.feeCode);
    state.lastActor = p.actor;
    if (state.awaitingPayment) {
      state.paymentSignals += 1;
      state.unconsumed += 1;
    }
  });
  setHandler(partnerAnsweredSignal, (a) => {
    const key = `${a.stepId}:${a.iteration}`;
    if (!state.expectedAnswers.has(key) || state.partnerAnswers[key]) return;
    state.partnerAnswers[key] = a;
    state.unconsumed += 1;
  });
  setHandler(postalDeliveredSignal, (d) => {
    if (state.postalDeliveries[d.orderId]) return;
    state.postalDeliveries[d.orderId] = d;
    state.unconsumed += 1;
  });
  setHandler(withdrawSignal, (w) => {
    if (state.ending || state.finished || isTerminal(state.status)) return;
    state.ending = new EndDossier(DossierStatus.Withdrawn, w.actor, w.reason);
    state.unconsumed += 1;
    main.cancel();
  });
}
