/**
 * `return`: the dossier is processed (status 9); fees due before the return are collected; the result goes
 * out by the applicant's channel (electronic, by post, or handed over at the counter); status 10.
 */
import { ActivityFailure, ApplicationFailure, patched } from '@temporalio/workflow';
import type { PostalOrder } from '../../activities/documents-types';
import type { ReturnStep } from '../../domain/plan';
import { DossierStatus } from '../../domain/status';
import type { Actor } from '../messages';
import { SYSTEM, msUntil, now } from '../dossier-state';
import type { StepContext } from '../interpreter/context';
import { collectFees } from './payment';

const HOUR = 3600_000;

export async function returnResult(step: ReturnStep, ctx: StepContext): Promise<string | null> {
  const { state, plan, input, dossierCode } = ctx;
  await ctx.transition(DossierStatus.Processed, state.lastActor, 'Đã xử lý xong, kết quả chuyển về Bộ phận Một cửa', step.id,
    { finishedAt: now() });
  const beforeReturn = plan.fees.filter((f) => f.collect === 'before-return').map((f) => f.code);
  if (beforeReturn.length) await collectFees(ctx, step, beforeReturn);
  const channel = input.returnChannel;
  let actor = SYSTEM;
  if (channel === 'electronic') {
    const pushed = patched('results-to-data-store') ? await ctx.files.pushResultsToDataStore({ dossierCode }) : undefined;
    await ctx.record('result-delivered', { actor: SYSTEM, stepId: step.id, data: { channel, ...pushed } });
  } else if (channel === 'postal' && patched('postal-return')) {
    const delivered = await deliverByPost(step, ctx);
    actor = delivered.actor;
    await ctx.record('result-delivered', { actor, stepId: step.id, data: delivered.data });
  } else {
    actor = await handOverAtCounter(step, ctx);
  }
  await ctx.transition(DossierStatus.Returned, actor, `Đã trả kết quả (${channel})`, step.id, { returnedAt: now() });
  return step.next;
}

/** The counter hands the result over: an officer of the reception step's unit confirms it. */
async function handOverAtCounter(step: ReturnStep, ctx: StepContext): Promise<Actor> {
  const counter = Object.values(ctx.plan.steps).find((s) => s.kind === 'reception');
  const assignee = counter && counter.kind === 'reception' ? counter.assignee : undefined;
  if (!assignee) throw ApplicationFailure.nonRetryable('no reception step names the counter for the hand-over', 'PlanError');
  const completion = await ctx.humanTask(step, assignee, { 'handed-over': 'next' });
  return completion.actor;
}

/**
 * Sends the result by post and waits for the post's delivery report. Inside the province a delivery
 * later than `postalDueMs` after the order is flagged: when the time passes, or when the report says so.
 */
async function deliverByPost(step: ReturnStep, ctx: StepContext): Promise<{ actor: Actor; data: Record<string, unknown> }> {
  const { state, files, dossierCode } = ctx;
  const iteration = (state.iterations[step.id] ?? 0) + 1;
  state.iterations[step.id] = iteration;
  let order: PostalOrder;
  try {
    order = await files.createPostalOrder({ dossierCode, stepId: step.id, iteration, dueWithinMs: ctx.settings.postalDueMs ?? 24 * HOUR });
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'PostalAddressMissingError') {
      await ctx.record('postal-order-impossible', { actor: SYSTEM, stepId: step.id, reason: err.cause.message });
      return { actor: await handOverAtCounter(step, ctx), data: { channel: 'counter', requested: 'postal' } };
    }
    throw err;
  }
  await ctx.record('postal-order-created', { actor: SYSTEM, stepId: step.id,
    data: { orderId: order.orderId, trackingNo: order.trackingNo, inProvince: order.inProvince, dueAt: order.dueAt } });
  const arrived = () => state.postalDeliveries[order.orderId] !== undefined;
  let late = false;
  const flagLate = async (reason: string) => {
    late = true;
    await files.flagLateDelivery({ dossierCode, orderId: order.orderId });
    await ctx.record('postal-delivery-late', { actor: SYSTEM, stepId: step.id, reason,
      data: { orderId: order.orderId, dueAt: order.dueAt } });
  };
  if (order.dueAt && !(await ctx.waitFor(arrived, msUntil(order.dueAt)))) {
    await flagLate(`Chưa phát xong kết quả qua bưu chính sau hạn ${order.dueAt}`);
  }
  await ctx.waitFor(arrived);
  const delivery = state.postalDeliveries[order.orderId];
  state.unconsumed -= 1;
  if (!late && order.dueAt && Date.parse(delivery.deliveredAt) > Date.parse(order.dueAt)) {
    await flagLate(`Phát kết quả qua bưu chính trễ hạn (${delivery.deliveredAt} > ${order.dueAt})`);
  }
  return { actor: delivery.actor, data: { channel: 'postal', orderId: order.orderId, deliveredAt: delivery.deliveredAt,
    receivedBy: delivery.receivedBy, late } };
}
