/**
 * The legal clock: the appointment date, its pauses (a supplement, a period the law does not count) and
 * the watchers that flag a late dossier and ask the leader to apologise. The only place legal time moves.
 */
import { condition, type CancellationScope } from '@temporalio/workflow';
import type { PlanStep, WaitStep } from '../domain/plan';
import { DossierStatus, isTerminal } from '../domain/status';
import type { Actor, SupplementInput } from './messages';
import { SYSTEM, msUntil, nowToMinute } from './dossier-state';
import type { StepContext } from './interpreter/context';

/** Step id of the apology task; the double underscore keeps it apart from any designer's step id. */
export const APOLOGY_STEP = '__apology';

/** The dossier is accepted: the appointment is the plan's deadline from now (to the minute). */
export async function setAppointment(ctx: StepContext, acceptedAt: string): Promise<string> {
  const { state } = ctx;
  state.appointmentAt = await ctx.db.computeDue({ agencyCode: ctx.plan.agency, from: acceptedAt, duration: ctx.plan.deadline });
  state.appointmentVersion += 1;
  return state.appointmentAt;
}

/** Pauses the legal clock until the applicant supplements; the appointment moves by the paused working time. */
export async function requestSupplement(ctx: StepContext, step: PlanStep, actor: Actor, reason: string): Promise<void> {
  const { state, db, dossierCode } = ctx;
  const resumeTo = state.status;
  state.supplementCount += 1;
  const pausedFrom = nowToMinute();
  await ctx.transition(DossierStatus.SupplementRequested, actor, reason, step.id, { supplementCount: state.supplementCount });
  await db.notify({ key: `${dossierCode}:supplement:${state.supplementCount}`, dossierCode, template: 'supplement-requested',
    to: { applicant: true }, channels: ['in-app'], data: { reason, stepName: step.name } });
  await ctx.waitFor(() => state.supplement !== undefined);
  const given = state.supplement as unknown as SupplementInput;
  state.supplement = undefined;
  state.unconsumed -= 1;
  const patch: { appointmentAt?: string } = {};
  if (state.appointmentAt) {
    state.appointmentAt = await db.shiftByPause({ agencyCode: ctx.plan.agency, instant: state.appointmentAt, pausedFrom, pausedTo: nowToMinute() });
    state.appointmentVersion += 1;
    patch.appointmentAt = state.appointmentAt;
  }
  await ctx.transition(resumeTo, given.actor, given.note ?? 'Đã bổ sung hồ sơ', step.id, patch);
}

/**
 * A period the law does not count (e.g. public posting for land) has ended: the clock runs again and the
 * appointment moves by the paused working time. (The wait step holds the clock with `state.clockPaused`.)
 */
export async function resumeClock(ctx: StepContext, step: WaitStep, pausedFrom: string): Promise<void> {
  const { state } = ctx;
  const previous = state.appointmentAt as string;
  const pausedTo = nowToMinute();
  state.appointmentAt = await ctx.db.shiftByPause({ agencyCode: ctx.plan.agency, instant: previous, pausedFrom, pausedTo });
  state.appointmentVersion += 1;
  ctx.describe();
  await ctx.record('clock-resumed', { actor: SYSTEM, stepId: step.id, reason: `Hết thời gian ${step.name ?? 'chờ'}; thời gian này không tính vào thời hạn giải quyết`,
    data: { pausedFrom, pausedTo, previousAppointmentAt: previous, appointmentAt: state.appointmentAt }, dossier: { appointmentAt: state.appointmentAt } });
}

/** The unit now answerable for the dossier: the one holding its open task, else the counter. */
function responsibleUnit(ctx: StepContext): string {
  const { plan } = ctx;
  const open = Object.values(ctx.state.openTasks)[0];
  const step = open ? plan.steps[open.stepId] : undefined;
  if (step && (step.kind === 'task' || step.kind === 'reception')) return step.assignee.unit;
  const counter = Object.values(plan.steps).find((s) => s.kind === 'reception');
  return counter && counter.kind === 'reception' ? counter.assignee.unit : '';
}

const inProgress = (ctx: StepContext) =>
  !ctx.state.finished && !isTerminal(ctx.state.status) && ctx.state.status !== DossierStatus.Processed;

/** Before the appointment passes with the dossier still in progress, the responsible leader apologises (form 04). */
async function watchForApology(ctx: StepContext): Promise<void> {
  const { state } = ctx;
  let apologisedFor = -1;
  while (inProgress(ctx) && state.appointmentAt) {
    const version = state.appointmentVersion;
    const changed = () => state.appointmentVersion !== version || !inProgress(ctx);
    if (apologisedFor === version || Date.now() >= Date.parse(state.appointmentAt)) {
      await condition(changed);
      continue;
    }
    const apologyAt = Date.parse(state.appointmentAt) - ctx.settings.apologyLeadMs;
    if (await condition(changed, Math.max(apologyAt - Date.now(), 1))) continue;
    if (state.status === DossierStatus.SupplementRequested || state.clockPaused) {
      // the clock is paused: the date will move when the applicant supplements or the period ends
      await condition(() => (state.status !== DossierStatus.SupplementRequested && !state.clockPaused) || !inProgress(ctx));
      continue;
    }
    apologisedFor = version;
    await apologise(ctx);
  }
}

/** When the appointment passes with the dossier still in progress, it is flagged overdue (read model and ops). */
async function watchForOverdue(ctx: StepContext): Promise<void> {
  const { state } = ctx;
  while (inProgress(ctx) && state.appointmentAt) {
    const version = state.appointmentVersion;
    const changed = () => state.appointmentVersion !== version || !inProgress(ctx);
    if (await condition(changed, Math.max(msUntil(state.appointmentAt), 1))) continue;
    if (!state.overdue && state.status !== DossierStatus.SupplementRequested && !state.clockPaused) {
      state.overdue = true;
      ctx.describe();
      await ctx.record('dossier-overdue', { actor: SYSTEM, reason: 'Hồ sơ quá hạn trả kết quả',
        data: { appointmentAt: state.appointmentAt, steps: [...state.current], unit: responsibleUnit(ctx) }, dossier: { overdue: true } });
    }
    await condition(changed);
  }
}

/** The apology task: the leader sets a new appointment date; the applicant is told; both dates are kept. */
async function apologise(ctx: StepContext): Promise<void> {
  const { state, db, plan, dossierCode } = ctx;
  // counted as a running sequence until the new date is recorded, so answers wait for it
  state.running += 1;
  try {
    const leader = await db.responsibleLeader({ agencyCode: plan.agency, unitCode: responsibleUnit(ctx) });
    const step: PlanStep = { id: APOLOGY_STEP, kind: 'task', name: 'Phiếu xin lỗi và hẹn lại ngày trả kết quả', next: null,
      assignee: leader, outcomes: { issued: { effect: 'next', next: null } } };
    const completion = await ctx.humanTask(step, leader, { issued: 'next' }, {
      type: 'object', required: ['newAppointmentAt', 'reason'], additionalProperties: false,
      properties: { newAppointmentAt: { type: 'string', format: 'date-time' }, reason: { type: 'string', minLength: 1 } },
    }, state.appointmentAt);
    const { newAppointmentAt, reason } = completion.data as { newAppointmentAt: string; reason: string };
    state.originalAppointmentAt ??= state.appointmentAt;
    const previous = state.appointmentAt;
    state.appointmentAt = new Date(newAppointmentAt).toISOString();
    state.appointmentVersion += 1;
    if (state.overdue && Date.parse(state.appointmentAt) > Date.now()) state.overdue = false;
    ctx.describe();
    const { appointmentAt, originalAppointmentAt, overdue } = state;
    await ctx.record('apology-issued', { actor: completion.actor, reason, stepId: APOLOGY_STEP,
      data: { previousAppointmentAt: previous, newAppointmentAt: appointmentAt, originalAppointmentAt },
      dossier: { appointmentAt, originalAppointmentAt, overdue } });
    await db.notify({ key: `${dossierCode}:apology:${state.appointmentVersion}`, dossierCode, template: 'apology',
      to: { applicant: true }, channels: ['email', 'sms', 'in-app'],
      data: { reason, newAppointmentAt: state.appointmentAt, previousAppointmentAt: previous } });
  } finally {
    state.running -= 1;
  }
}

/** Starts the lateness watchers (once per run). */
export function startAppointmentWatch(ctx: StepContext): void {
  ctx.state.appointmentWatch ??= [ctx.background(() => watchForApology(ctx)), ctx.background(() => watchForOverdue(ctx))];
}

/** Stops the lateness watchers (the plan has ended, or the run continues as new). */
export function stopAppointmentWatch(ctx: StepContext): void {
  ctx.state.appointmentWatch?.forEach((scope: CancellationScope) => scope.cancel());
}
