/** `wait`: a period (e.g. public posting); one the law does not count stops the legal clock meanwhile. */
import { patched } from '@temporalio/workflow';
import type { WaitStep } from '../../domain/plan';
import { SYSTEM, msUntil, nowToMinute } from '../dossier-state';
import { resumeClock } from '../legal-clock';
import type { StepContext } from '../interpreter/context';

export async function wait(step: WaitStep, ctx: StepContext): Promise<string | null> {
  const { state, plan } = ctx;
  // a posting period is part of processing: status 4, and the read model shows the step (older runs did neither)
  const visible = patched('wait-visible');
  if (visible) await ctx.startProcessing(step);
  const until = await ctx.db.computeDue({ agencyCode: plan.agency, from: nowToMinute(), duration: step.duration });
  // a period the law does not count (e.g. public posting for land) stops the legal clock, like a supplement
  const pauses = visible && step.pausesClock === true && state.appointmentAt !== undefined;
  const pausedFrom = nowToMinute();
  if (visible) {
    await ctx.record('wait-started', { actor: SYSTEM, stepId: step.id, data: { until, pausesClock: pauses },
      dossier: { currentSteps: [...state.current] } });
  }
  // the legal clock stands still meanwhile (the lateness watchers read it)
  if (pauses) state.clockPaused = true;
  try {
    await ctx.waitFor(() => false, msUntil(until));
  } finally {
    state.clockPaused = false;
  }
  if (pauses && state.appointmentAt) await resumeClock(ctx, step, pausedFrom);
  return step.next;
}
