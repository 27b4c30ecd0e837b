/**
 * `handoff`: the dossier goes to another agency. On this platform (`procedure`): a linked partner dossier,
 * a child run of the same workflow, awaited to its end. Outside it (`endpoint`): see `external-handoff.ts`.
 */
import { ApplicationFailure, ChildWorkflowCancellationType, executeChild } from '@temporalio/workflow';
import type { HandoffStep } from '../../domain/plan';
import { hopTiming } from '../../domain/hop-timing';
import { DossierStatus, STATUS_LABELS } from '../../domain/status';
import { SYSTEM, now, nowToMinute, type DossierResult } from '../dossier-state';
import type { StepContext } from '../interpreter/context';
import type { dossierWorkflow } from '../dossier';
import { externalHandoff } from './external-handoff';

export async function handoff(step: HandoffStep, ctx: StepContext): Promise<string | null> {
  const { state, db, plan, dossierCode, input } = ctx;
  await ctx.startProcessing(step);
  if (step.endpoint) return externalHandoff(step, step.endpoint, ctx);
  if (!step.procedure) throw ApplicationFailure.nonRetryable(`handoff step ${step.id} names neither a procedure nor an endpoint`, 'PlanError');
  const iteration = (state.iterations[step.id] ?? 0) + 1;
  state.iterations[step.id] = iteration;
  const handedAt = nowToMinute();
  const dueAt = step.deadline ? await db.computeDue({ agencyCode: plan.agency, from: handedAt, duration: step.deadline }) : undefined;
  const partner = await db.createLinkedDossier({ parentCode: dossierCode, stepId: step.id, iteration, procedureCode: step.procedure,
    toAgency: step.to.agency, actor: state.lastActor, dueAt });
  await ctx.record('handoff-sent', { actor: state.lastActor, stepId: step.id,
    data: { to: step.to.agency, procedure: step.procedure, partnerDossier: partner.code, dueAt, iteration }, dossier: { currentSteps: [...state.current] } });
  state.children.add(partner.code);
  state.blocked += 1;
  let result: DossierResult;
  try {
    // the workflow type by name (the same type the function names): a type-only import keeps the modules apart
    result = await executeChild<typeof dossierWorkflow>('dossierWorkflow', {
      workflowId: partner.code,
      args: [{ dossierCode: partner.code, plan: partner.plan, channel: 'online', returnChannel: 'electronic',
        submittedAt: partner.submittedAt, application: partner.application, settings: input.settings }],
      parentClosePolicy: 'ABANDON',
      // the partner's dossier belongs to another agency: it is withdrawn explicitly, never cancelled under it
      cancellationType: ChildWorkflowCancellationType.ABANDON,
    });
    state.children.delete(partner.code);
  } finally {
    state.blocked -= 1;
  }
  const outcome = result.status === DossierStatus.Returned ? 'done' : 'refused';
  const returnedAt = now();
  const timing = hopTiming(returnedAt, dueAt);
  await db.closeHandoff({ parentCode: dossierCode, stepId: step.id, iteration, outcome, at: returnedAt });
  await ctx.record('handoff-returned', { actor: SYSTEM, stepId: step.id, reason: `${partner.code}: ${STATUS_LABELS[result.status]}`,
    data: { partnerDossier: partner.code, outcome, partnerStatus: result.status, dueAt, timing } });
  state.data.steps[step.id] = { outcome, partnerDossier: partner.code, partnerStatus: result.status };
  const effect = step.outcomes[outcome] ?? { effect: 'next', next: step.next };
  return ctx.applyEffect(step, effect, { taskId: '', outcome, actor: SYSTEM,
    comment: `Hồ sơ liên thông ${partner.code}: ${STATUS_LABELS[result.status]}` });
}
