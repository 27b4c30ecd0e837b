/**
 * The walker: runs a sequence of steps (the plan's top level, or a parallel branch) and dispatches each
 * step on its kind to its executor in `steps/`, one file per kind.
 */
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { PlanStep } from '../../domain/plan';
import { DossierStatus } from '../../domain/status';
import { Continue } from '../dossier-state';
import { decision } from '../steps/decision';
import { digitize } from '../steps/digitize';
import { handoff } from '../steps/handoff';
import { notify } from '../steps/notify';
import { parallel } from '../steps/parallel';
import { payment } from '../steps/payment';
import { reception } from '../steps/reception';
import { returnResult } from '../steps/return';
import { task } from '../steps/task';
import { wait } from '../steps/wait';
import type { StepContext } from './context';

/** Runs one step; returns the id of the next one (null ends the sequence). */
function execute(step: PlanStep, ctx: StepContext): Promise<string | null> {
  switch (step.kind) {
    case 'reception':
      return settledAsBefore(reception(step, ctx));
    case 'task':
      return task(step, ctx);
    case 'return':
      return settledAsBefore(returnResult(step, ctx));
    case 'wait':
      return wait(step, ctx);
    case 'decision':
      return decision(step, ctx);
    case 'parallel':
      return parallel(step, ctx);
    case 'digitize':
      return digitize(step, ctx);
    case 'payment':
      return payment(step, ctx);
    case 'handoff':
      return settledAsBefore(handoff(step, ctx));
    case 'notify':
      return notify(step, ctx);
    default:
      return assertNever(step);
  }
}

/**
 * These kinds were delegated from an async dispatcher before the interpreter was split: their result reached
 * the walker through one more promise. Kept so that parallel branches interleave their commands exactly as
 * the recorded histories have them (the inline kinds reach the walker directly, as they did).
 */
async function settledAsBefore(next: Promise<string | null>): Promise<string | null> {
  return next;
}

/**
 * A long history continues as new at a safe point: at top level, before a human task (whose opening
 * changes no status, so an officer's answer given at the hand-over stays true), with no task open.
 */
function timeToContinue(step: PlanStep, ctx: StepContext): boolean {
  const { state } = ctx;
  return workflowInfo().historyLength > ctx.settings.historyLimit && step.kind === 'task'
    && state.status !== DossierStatus.Accepted && Object.keys(state.openTasks).length === 0;
}

/** Walks one list of steps. */
async function runSequence(ctx: StepContext, start: string | null, topLevel: boolean): Promise<void> {
  const { state, plan } = ctx;
  let id = start;
  while (id) {
    const step = plan.steps[id];
    if (topLevel && timeToContinue(step, ctx)) throw new Continue(id);
    state.current.add(step.id);
    ctx.describe();
    try {
      id = await execute(step, ctx);
    } finally {
      state.current.delete(step.id);
    }
  }
}

/** Runs the plan from `start` at top level; parallel steps walk their branches with the same walker. */
export function runPlan(ctx: StepContext, start: string | null): Promise<void> {
  ctx.runBranch = (branchStart) => runSequence(ctx, branchStart, false);
  return runSequence(ctx, start, true);
}

function assertNever(x: never): never {
  throw ApplicationFailure.nonRetryable(`unknown step kind in ${JSON.stringify(x)}`, 'PlanError');
}
