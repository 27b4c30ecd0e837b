/**
 * The dossier's history and row as the workflow records them, and what closes when a dossier ends: shared by the
 * read-model activities and by the recovery sweep, which records a run that ended outside its code.
 */
import type { Knex } from 'knex';
import type { DossierPatch, RecordEventInput } from '../activities/types';
import { enqueueStatusNotification } from './notifications';

const PATCH_COLUMNS: Record<keyof DossierPatch, string> = {
  status: 'status',
  currentSteps: 'current_steps',
  acceptedAt: 'accepted_at',
  appointmentAt: 'appointment_at',
  originalAppointmentAt: 'original_appointment_at',
  overdue: 'overdue',
  finishedAt: 'finished_at',
  returnedAt: 'returned_at',
  supplementCount: 'supplement_count',
};

function toRow(patch: DossierPatch): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(PATCH_COLUMNS) as [keyof DossierPatch, string][]) {
    const value = patch[field];
    if (value === undefined) continue;
    row[column] = field === 'currentSteps' ? JSON.stringify(value) : value;
  }
  return row;
}

/**
 * Appends an event to the dossier's history, applies its patch to the dossier's row and, for a status change,
 * queues the applicant's notification, in the caller's transaction; answers whether the event is new.
 */
export async function recordDossierEvent(trx: Knex, e: RecordEventInput): Promise<boolean> {
  const row = {
    dossier_code: e.dossierCode, event_key: e.key, type: e.type, from_status: e.fromStatus,
    to_status: e.toStatus, step_id: e.stepId, actor: e.actor.username, actor_name: e.actor.fullName,
    reason: e.reason, data: e.data ? JSON.stringify(e.data) : null, at: e.at,
  };
  const inserted = await trx('dossier_events').insert(row).onConflict(['dossier_code', 'event_key']).ignore().returning('id');
  if (inserted.length === 0) {
    // Written again under the same key: the workflow task that wrote it first died before it was recorded, and
    // this one (which replays the same steps from the same history) is what the history will keep. Its values
    // replace the first ones, the instants included, so the read model ends as the workflow did; nothing is
    // sent twice (notifications and portal rows are keyed by the event).
    await trx('dossier_events').where({ dossier_code: e.dossierCode, event_key: e.key })
      .update({ reason: row.reason, data: row.data, at: row.at, actor: row.actor, actor_name: row.actor_name });
  }
  if (e.dossier) {
    await trx('dossiers').where({ code: e.dossierCode }).update({ ...toRow(e.dossier), updated_at: trx.fn.now() });
    if (inserted.length > 0) await enqueueStatusNotification(trx, e);
  }
  return inserted.length > 0;
}

/** Cancels every task and payment request still open on the dossier (it has ended); answers how many tasks. */
export async function closeOpenWork(trx: Knex, dossierCode: string, reason: string): Promise<number> {
  await trx('payments').where({ dossier_code: dossierCode, state: 'pending' }).update({ state: 'cancelled' });
  return trx('tasks').where({ dossier_code: dossierCode }).whereIn('state', ['open', 'claimed']).update({ state: 'cancelled', comment: reason });
}
