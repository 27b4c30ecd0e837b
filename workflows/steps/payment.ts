/** `payment`: the dossier waits (status 6) until the step's fees are paid, or until the step's deadline. */
import { patched } from '@temporalio/workflow';
import type { PaymentStep, PlanStep } from '../../domain/plan';
import { DossierStatus } from '../../domain/status';
import { EndDossier, SYSTEM, nowToMinute } from '../dossier-state';
import type { StepContext } from '../interpreter/context';

export async function payment(step: PaymentStep, ctx: StepContext): Promise<string | null> {
  const paidAll = await collectFees(ctx, step, step.fees);
  if (!paidAll && step.onTimeout === 'stop') {
    throw new EndDossier(DossierStatus.Stopped, SYSTEM, 'Quá hạn thực hiện nghĩa vụ tài chính', step.id);
  }
  return step.next;
}

/**
 * Asks for the fees not yet paid (status 6) and waits until they are, or until the step's deadline.
 * Returns whether everything was paid; the status goes back to what it was.
 */
export async function collectFees(ctx: StepContext, step: PlanStep, feeCodes: string[]): Promise<boolean> {
  const { state, db, plan, dossierCode } = ctx;
  const fees = plan.fees.filter((f) => feeCodes.includes(f.code));
  const { unpaid } = await db.requestPayments({ dossierCode, fees });
  const outstanding = () => unpaid.filter((c) => !state.paid.has(c));
  if (outstanding().length === 0) return true;
  const resumeTo = state.status;
  const online = patched('online-payments') ? await ctx.payActs.offerOnlinePayments({ dossierCode, feeCodes: outstanding() }) : [];
  const amount = fees.filter((f) => unpaid.includes(f.code)).reduce((sum, f) => sum + f.amount, 0);
  await ctx.transition(DossierStatus.PaymentRequested, SYSTEM, `Yêu cầu nộp ${amount} đồng: ${fees.map((f) => f.name).join(', ')}`, step.id);
  await db.notify({ key: `${dossierCode}:fee-due:${step.id}:${state.eventCount}`, dossierCode, template: 'fee-due', to: { applicant: true },
    channels: ['email', 'sms', 'in-app'], data: { fees: fees.filter((f) => unpaid.includes(f.code)), amount, payments: online } });
  const deadline = step.kind === 'payment' && step.deadline
    ? Date.parse(await db.computeDue({ agencyCode: plan.agency, from: nowToMinute(), duration: step.deadline }))
    : undefined;
  state.awaitingPayment = true;
  try {
    while (outstanding().length) {
      const woke = await ctx.waitFor(() => state.paymentSignals > 0, deadline === undefined ? undefined : deadline - Date.now());
      state.unconsumed -= state.paymentSignals;
      state.paymentSignals = 0;
      if (!woke) break;
    }
  } finally {
    state.awaitingPayment = false;
  }
  const complete = outstanding().length === 0;
  if (complete) await ctx.transition(resumeTo, state.lastActor, 'Đã hoàn thành nghĩa vụ tài chính', step.id);
  return complete;
}
