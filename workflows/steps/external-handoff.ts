/**
 * `handoff` to an agency outside the platform (`endpoint`): sends the dossier package (signed, with an
 * idempotency key) and waits for its signed answer until the step's deadline. The answer's `done`/`refused`
 * picks the step's outcome; no answer in time takes the `timeout` outcome, or stops the dossier when the
 * step has none.
 */
import { CancellationScope, isCancellation, uuid4 } from '@temporalio/workflow';
import type { HandoffStep } from '../../domain/plan';
import { hopTiming } from '../../domain/hop-timing';
import type { Actor, PartnerAnswerInput } from '../messages';
import { SYSTEM, msUntil, now, nowToMinute } from '../dossier-state';
import type { StepContext } from '../interpreter/context';

export async function externalHandoff(step: HandoffStep, endpoint: string, ctx: StepContext): Promise<string | null> {
  const { state, db, plan, dossierCode } = ctx;
  const iteration = (state.iterations[step.id] ?? 0) + 1;
  state.iterations[step.id] = iteration;
  const key = `${step.id}:${iteration}`;
  // a wall-clock deadline (tests, demos) counts from the instant itself, not from the minute
  const handedAt = step.deadline && 'iso' in step.deadline ? now() : nowToMinute();
  const dueAt = step.deadline ? await db.computeDue({ agencyCode: plan.agency, from: handedAt, duration: step.deadline }) : undefined;
  const remaining = () => (dueAt ? msUntil(dueAt) : undefined);
  const handoffId = uuid4();
  state.expectedAnswers.add(key);
  const answered = () => state.partnerAnswers[key] !== undefined;
  /** Stops listening for the partner; an answer that came in the meantime is dropped (the hop is being closed). */
  const stopExpecting = () => {
    state.expectedAnswers.delete(key);
    if (!answered()) return;
    delete state.partnerAnswers[key];
    state.unconsumed -= 1;
  };
  let sent = false;
  let rejected: string | undefined;
  state.openExternal[handoffId] = { stepId: step.id, iteration, endpoint, toAgency: step.to.agency };
  const sending = new CancellationScope();
  void sending.run(() => ctx.partners.sendHandoffPackage({ handoffId, dossierCode, stepId: step.id, iteration, endpoint,
    fromAgency: plan.agency, toAgency: step.to.agency, actor: state.lastActor, handedAt, dueAt }))
    .then(() => { sent = true; }, (err: Error & { cause?: Error }) => {
      if (!isCancellation(err)) rejected = err.cause?.message ?? err.message;
    });
  const close = (outcome: string, fields: { reason?: string; answer?: PartnerAnswerInput } = {}) => {
    delete state.openExternal[handoffId];
    return ctx.partnerRecords.closeExternalHandoff({ handoffId, outcome, reason: fields.reason, data: fields.answer?.data,
      receivedBy: fields.answer?.receivedBy, receivedAt: fields.answer?.receivedAt, answeredBy: fields.answer?.answeredBy, at: now() });
  };
  try {
    const delivered = await ctx.waitFor(() => sent || rejected !== undefined || answered(), remaining());
    if (!delivered) sending.cancel();
    if (rejected !== undefined && !answered()) {
      stopExpecting();
      const reason = `Cơ quan ${step.to.agency} không nhận hồ sơ liên thông: ${rejected}`;
      await close('refused', { reason });
      await ctx.record('handoff-rejected', { actor: SYSTEM, stepId: step.id, reason, data: { handoffId, to: step.to.agency, endpoint, iteration } });
      state.data.steps[step.id] = { outcome: 'refused', reason };
      return ctx.applyEffect(step, step.outcomes.refused, { taskId: '', outcome: 'refused', actor: SYSTEM, comment: reason });
    }
    if (delivered) {
      await ctx.record('handoff-sent', { actor: state.lastActor, stepId: step.id,
        data: { handoffId, to: step.to.agency, endpoint, dueAt, iteration }, dossier: { currentSteps: [...state.current] } });
    }
    if (!delivered || !(await ctx.waitFor(answered, remaining()))) {
      stopExpecting();
      const reason = `Cơ quan ${step.to.agency} không trả lời hồ sơ liên thông trước hạn${dueAt ? ` ${dueAt}` : ''}`;
      await close('timeout', { reason });
      await ctx.record('handoff-timeout', { actor: SYSTEM, stepId: step.id, reason, data: { handoffId, to: step.to.agency, dueAt, iteration } });
      state.data.steps[step.id] = { outcome: 'timeout' };
      return ctx.applyEffect(step, step.outcomes.timeout ?? { effect: 'stop' }, { taskId: '', outcome: 'timeout', actor: SYSTEM, comment: reason });
    }
  } finally {
    state.expectedAnswers.delete(key);
  }
  const answer = state.partnerAnswers[key];
  stopExpecting();
  const returnedAt = now();
  const reason = answer.reason ?? `Cơ quan ${step.to.agency}: ${answer.outcome === 'done' ? 'đã xử lý xong' : 'từ chối'}`;
  await close(answer.outcome, { reason, answer });
  const partner: Actor = { username: answer.answeredBy ?? step.to.agency };
  await ctx.record('handoff-returned', { actor: partner, stepId: step.id, reason,
    data: { handoffId, to: step.to.agency, outcome: answer.outcome, dueAt, timing: hopTiming(returnedAt, dueAt),
      receivedBy: answer.receivedBy, receivedAt: answer.receivedAt } });
  state.data.steps[step.id] = { outcome: answer.outcome, reason: answer.reason, data: answer.data ?? {} };
  const effect = step.outcomes[answer.outcome] ?? { effect: 'next', next: step.next };
  return ctx.applyEffect(step, effect, { taskId: '', outcome: answer.outcome, actor: partner, comment: reason });
}
