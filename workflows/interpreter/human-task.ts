/** Human tasks (open, watch the step's deadline, wait for the officer, close) and outcome effects. */
import { sleep, uuid4 } from '@temporalio/workflow';
import type { Assignee, OutcomeEffect, PlanStep } from '../../domain/plan';
import { DossierStatus } from '../../domain/status';
import type { CompleteTaskInput } from '../messages';
import { EndDossier, SYSTEM, msUntil, now, nowToMinute, type OpenTask } from '../dossier-state';
import { requestSupplement } from '../legal-clock';
import type { StepContext } from './context';

/** Warns before a step is due, and records which step and unit overran when it is late. */
function watchStepDeadline(ctx: StepContext, step: PlanStep, assignee: Assignee, taskId: string, openedAt: string, dueAt: string) {
  const { db, plan, dossierCode, settings } = ctx;
  return ctx.background(async () => {
    const warnAt = await db.computeWarning({ agencyCode: plan.agency, from: openedAt, duration: step.deadline!,
      leadMs: settings.stepWarningLeadMs });
    if (warnAt && Date.parse(warnAt) > Date.now()) {
      await sleep(msUntil(warnAt));
      const leader = await db.responsibleLeader({ agencyCode: plan.agency, unitCode: assignee.unit });
      for (const to of [assignee, leader]) {
        await db.notify({ key: `${dossierCode}:${taskId}:due-soon:${to.unit}:${to.role}`, dossierCode, template: 'step-due-soon',
          to: { ...to, agency: plan.agency }, channels: ['in-app'], data: { stepId: step.id, stepName: step.name, dueAt } });
      }
      await ctx.record('step-due-soon', { actor: SYSTEM, stepId: step.id, data: { taskId, unit: assignee.unit, dueAt } });
    }
    await sleep(msUntil(dueAt));
    await ctx.record('step-overdue', { actor: SYSTEM, stepId: step.id, reason: `Bước "${step.name}" quá hạn`,
      data: { taskId, unit: assignee.unit, role: assignee.role, dueAt } });
  });
}

/** Opens a task for a human step, waits for its completion and returns it. */
export async function humanTask(ctx: StepContext, step: PlanStep, assignee: Assignee, effects: Record<string, string>,
  form?: Record<string, unknown>, dueOverride?: string): Promise<CompleteTaskInput> {
  const { db, plan, dossierCode, state } = ctx;
  const iteration = (state.iterations[step.id] ?? 0) + 1;
  state.iterations[step.id] = iteration;
  const openedAt = nowToMinute();
  const dueAt = dueOverride ?? (step.deadline
    ? await db.computeDue({ agencyCode: plan.agency, from: openedAt, duration: step.deadline })
    : undefined);
  // the id is made here and the task registered before its row exists, so an officer who sees the row can complete it
  const taskId = uuid4();
  const task: OpenTask = { taskId, stepId: step.id, effects, consumed: false };
  state.openTasks[taskId] = task;
  await db.openTask({
    taskId, dossierCode, stepId: step.id, iteration, stepKind: step.kind, stepName: step.name,
    procedureCode: plan.code, agencyCode: plan.agency, unitCode: assignee.unit, role: assignee.role,
    dueAt, outcomes: effects, form,
  });
  await ctx.record('task-opened', { actor: SYSTEM, stepId: step.id,
    data: { taskId, unit: assignee.unit, role: assignee.role, dueAt, iteration }, dossier: { currentSteps: [...state.current] } });
  const watcher = dueAt && step.deadline ? watchStepDeadline(ctx, step, assignee, taskId, openedAt, dueAt) : undefined;
  try {
    await ctx.waitFor(() => task.completion !== undefined);
  } finally {
    watcher?.cancel();
  }
  const completion = task.completion as CompleteTaskInput;
  task.consumed = true;
  state.unconsumed -= 1;
  delete state.openTasks[taskId];
  state.lastActor = completion.actor;
  await db.closeTask({ taskId, outcome: completion.outcome, data: completion.data, comment: completion.comment,
    actor: completion.actor, at: now() });
  await ctx.record('task-completed', { actor: completion.actor, stepId: step.id, reason: completion.comment,
    data: { taskId, outcome: completion.outcome, iteration, late: dueAt ? Date.now() > Date.parse(dueAt) : false } });
  return completion;
}

/** Applies an outcome effect; returns the next step id (possibly the same step again). */
export async function applyEffect(ctx: StepContext, step: PlanStep, effect: OutcomeEffect,
  completion: CompleteTaskInput): Promise<string | null> {
  switch (effect.effect) {
    case 'next':
      return effect.next;
    case 'supplement':
      await requestSupplement(ctx, step, completion.actor, completion.comment ?? '');
      return step.id;
    case 'stop':
      throw new EndDossier(DossierStatus.Stopped, completion.actor, completion.comment ?? '', step.id);
  }
}
