/** `notify`: a message to the applicant or to a unit, from a template. */
import type { NotifyStep } from '../../domain/plan';
import { SYSTEM } from '../dossier-state';
import type { StepContext } from '../interpreter/context';

export async function notify(step: NotifyStep, ctx: StepContext): Promise<string | null> {
  const { state, plan, dossierCode } = ctx;
  const iteration = (state.iterations[step.id] ?? 0) + 1;
  state.iterations[step.id] = iteration;
  await ctx.db.notify({ key: `${dossierCode}:${step.id}:${iteration}`, dossierCode, template: step.template, channels: step.channels,
    to: step.to === 'applicant' ? { applicant: true } : { ...step.to, agency: plan.agency },
    data: { stepName: step.name, procedureName: plan.name, status: state.status, appointmentAt: state.appointmentAt } });
  await ctx.record('notified', { actor: SYSTEM, stepId: step.id, data: { template: step.template, to: step.to, channels: step.channels } });
  return step.next;
}
