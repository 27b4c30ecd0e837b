/** `reception`: the counter accepts the dossier (the legal clock starts), asks for a supplement, or refuses it. */
import { patched } from '@temporalio/workflow';
import type { ReceptionStep } from '../../domain/plan';
import { DossierStatus } from '../../domain/status';
import type { CompleteTaskInput } from '../messages';
import { EndDossier, nowToMinute } from '../dossier-state';
import { requestSupplement, setAppointment, startAppointmentWatch } from '../legal-clock';
import type { StepContext } from '../interpreter/context';

/** Fixed outcomes of a reception step. */
type ReceptionOutcome = 'accept' | 'supplement' | 'refuse';

/** The legal time to check an online dossier at the counter (accept, ask for a supplement, or refuse). */
const ONLINE_INTAKE = { workingHours: 8 };

export async function reception(step: ReceptionStep, ctx: StepContext): Promise<string | null> {
  const { input, state, dossierCode } = ctx;
  let completion: CompleteTaskInput;
  if (input.receivedBy && !state.iterations[step.id]) {
    state.iterations[step.id] = 1;
    completion = { taskId: '', outcome: 'accept', actor: input.receivedBy, comment: 'Tiếp nhận tại Bộ phận Một cửa' };
  } else {
    // the law gives the counter 8 working hours to check an online dossier: the default when the designer set no deadline
    const intake = !step.deadline && input.channel === 'online' && patched('online-intake-8h')
      ? { ...step, deadline: ONLINE_INTAKE } : step;
    completion = await ctx.humanTask(intake, step.assignee, { accept: 'next', supplement: 'supplement', refuse: 'refuse' });
  }
  switch (completion.outcome as ReceptionOutcome) {
    case 'accept': {
      const acceptedAt = nowToMinute();
      const appointmentAt = await setAppointment(ctx, acceptedAt);
      await ctx.transition(DossierStatus.Accepted, completion.actor, completion.comment ?? 'Tiếp nhận hồ sơ', step.id,
        { acceptedAt, appointmentAt });
      await ctx.db.notify({ key: `${dossierCode}:accepted`, dossierCode, template: 'accepted', to: { applicant: true },
        channels: ['in-app'], data: { appointmentAt: state.appointmentAt } });
      startAppointmentWatch(ctx);
      return step.next;
    }
    case 'supplement':
      await requestSupplement(ctx, step, completion.actor, completion.comment ?? '');
      return step.id;
    case 'refuse':
      throw new EndDossier(DossierStatus.Refused, completion.actor, completion.comment ?? '', step.id);
  }
}
