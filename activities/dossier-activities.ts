import type { Knex } from 'knex';
import { addDuration, addWorkingTime, durationToMs, workingTimeBetween, type CalendarConfig } from '../domain/calendar';
import { closeOpenWork, recordDossierEvent } from '../stores/dossier-records';
import type { DossierActivities } from './types';

export interface ActivityDeps {
  db: Knex;
  /** what ops gave as the reason when they cancelled a run (the Temporal UI's Cancel), if anything */
  cancelRequestCause?(execution: { workflowId: string; runId: string }): Promise<string | undefined>;
  /** counts a step that failed for good (Prometheus) */
  onAttention?(info: { activity: string; type: string }): void;
  /** the business calendar an agency counts legal time on */
  calendarFor(agencyCode: string): Promise<CalendarConfig>;
}

/** The dossier's read model in PostgreSQL: history, row and tasks, written idempotently. */
type CoreActivities = Omit<DossierActivities, 'digitize' | 'requestPayments' | 'unpaidFees' | 'createLinkedDossier' | 'closeHandoff' | 'notify'>;

export function createDossierActivities({ db, calendarFor, onAttention, cancelRequestCause }: ActivityDeps): CoreActivities {
  return {
    async recordEvent(e) {
      await db.transaction((trx) => recordDossierEvent(trx, e));
    },

    async computeDue({ agencyCode, from, duration }) {
      return addDuration(await calendarFor(agencyCode), from, duration);
    },

    async computeWarning({ agencyCode, from, duration, leadMs }) {
      const total = durationToMs(duration);
      if (total === undefined || total <= leadMs) return null;
      const cal = await calendarFor(agencyCode);
      if ('iso' in duration) return new Date(Date.parse(from) + total - leadMs).toISOString();
      return addWorkingTime(cal, from, total - leadMs);
    },

    async responsibleLeader({ agencyCode, unitCode }) {
      const own = await db('account_roles').join('accounts', 'accounts.username', 'account_roles.username')
        .where({ 'accounts.agency_code': agencyCode, 'accounts.unit_code': unitCode, 'account_roles.role': 'leader', 'accounts.disabled': false })
        .first('accounts.username');
      if (own) return { unit: unitCode, role: 'leader' };
      const leadership = await db('units').where({ agency_code: agencyCode, kind: 'leadership' }).orderBy('code').first('code');
      return { unit: leadership?.code ?? unitCode, role: 'leader' };
    },

    async shiftByPause({ agencyCode, instant, pausedFrom, pausedTo }) {
      const cal = await calendarFor(agencyCode);
      return addWorkingTime(cal, instant, workingTimeBetween(cal, pausedFrom, pausedTo));
    },

    async openTask(t) {
      const row = {
        id: t.taskId, dossier_code: t.dossierCode, step_id: t.stepId, iteration: t.iteration, step_kind: t.stepKind,
        step_name: t.stepName, procedure_code: t.procedureCode, agency_code: t.agencyCode, unit_code: t.unitCode,
        role: t.role, due_at: t.dueAt ?? null, outcomes: JSON.stringify(t.outcomes),
        form: t.form ? JSON.stringify(t.form) : null,
      };
      await db('tasks').insert(row).onConflict(['dossier_code', 'step_id', 'iteration']).ignore();
    },

    async closeTask(c) {
      await db('tasks').where({ id: c.taskId }).whereIn('state', ['open', 'claimed']).update({
        state: 'completed', outcome: c.outcome, data: c.data ? JSON.stringify(c.data) : null,
        comment: c.comment ?? null, completed_by: c.actor.username, completed_at: c.at, completion_key: c.requestKey ?? null,
      });
    },

    async cancellationCause(execution) {
      return (await cancelRequestCause?.(execution)) ?? null;
    },

    async flagAttention({ dossierCode, attention }) {
      await db('dossiers').where({ code: dossierCode }).update({ attention: attention ? JSON.stringify(attention) : null, updated_at: db.fn.now() });
      if (attention) onAttention?.({ activity: attention.activity, type: attention.type });
    },

    async cancelOpenTasks({ dossierCode, reason }) {
      return db.transaction((trx) => closeOpenWork(trx, dossierCode, reason));
    },
  };
}
