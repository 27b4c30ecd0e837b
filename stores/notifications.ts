/**
 * Notifications enter a delivery outbox: one `notifications` row per key and channel, inserted once
 * (a retry with the same key adds nothing). In-app rows are delivered by being stored; email and SMS
 * rows are sent by the notification dispatcher (stores/outbox-notifications.ts). The `notify` activity
 * (activities/notifications.ts) and the recovery sweep (api/services/recovery.ts) enqueue here too.
 *
 * The applicant hears about every status change that concerns them from the status history itself:
 * `enqueueStatusNotification` runs inside `recordEvent`'s transaction, so the event and its
 * notification exist together or not at all, whatever code path changed the status. A partner
 * agency's dossier (a handoff) tells the applicant nothing: they hear from the lead dossier.
 */
import type { Knex } from 'knex';
import { STATUS_LABELS, type DossierStatusCode } from '../domain/status';
import { statusTemplate } from '../domain/templates';
import type { NotifyInput, RecordEventInput } from '../activities/types';

export type Channel = NotifyInput['channels'][number];

/** Every channel the applicant is told on; one without an address is skipped and recorded. */
export const APPLICANT_CHANNELS: Channel[] = ['email', 'sms', 'in-app'];

interface DossierContext {
  applicant: { fullName?: string; email?: string; phone?: string };
  /** the lead dossier when this one is a partner agency's part of it: the applicant hears from the lead dossier only */
  parentCode: string | null;
  data: Record<string, unknown>;
}

/** What every template may show about the dossier, read once when the notification is made. */
export async function dossierContext(db: Knex, dossierCode: string): Promise<DossierContext | undefined> {
  const row = await db('dossiers').leftJoin('agencies', 'agencies.code', 'dossiers.agency_code').where('dossiers.code', dossierCode)
    .first('dossiers.applicant', 'dossiers.parent_code', 'dossiers.procedure_name', 'dossiers.return_channel', 'dossiers.appointment_at', 'dossiers.status',
      'agencies.name as agency_name');
  if (!row) return undefined;
  const applicant = (row.applicant ?? {}) as DossierContext['applicant'];
  return {
    applicant,
    parentCode: row.parent_code ?? null,
    data: {
      dossierCode, applicantName: applicant.fullName ?? '', procedureName: row.procedure_name, agencyName: row.agency_name ?? '',
      returnChannel: row.return_channel ?? undefined, appointmentAt: row.appointment_at ? new Date(row.appointment_at).toISOString() : undefined,
      statusLabel: STATUS_LABELS[row.status as DossierStatusCode],
    },
  };
}

export interface Enqueue {
  key: string;
  dossierCode: string;
  recipient: { kind: 'applicant' | 'unit-role'; id: string };
  template: string;
  channels: Channel[];
  data: Record<string, unknown>;
  applicant?: DossierContext['applicant'];
  eventKey?: string;
}

export async function enqueue(db: Knex, n: Enqueue): Promise<void> {
  const rows = n.channels.map((channel) => ({
    key: `${n.key}:${channel}`, dossier_code: n.dossierCode, recipient_kind: n.recipient.kind, recipient: n.recipient.id, channel,
    template: n.template, data: JSON.stringify(n.data), event_key: n.eventKey ?? null,
    // officers have no address here: their email/SMS rows are skipped by the dispatcher, with the reason
    address: channel === 'email' ? n.applicant?.email ?? null : channel === 'sms' ? n.applicant?.phone ?? null : null,
    state: channel === 'in-app' ? 'sent' : 'pending',
    sent_at: channel === 'in-app' ? db.fn.now() : null,
  }));
  if (rows.length) await db('notifications').insert(rows).onConflict('key').ignore();
}

/** The fees the applicant is asked to pay now: the dossier's pending payment requests. */
async function pendingFees(db: Knex, dossierCode: string) {
  const rows = await db('payments').where({ dossier_code: dossierCode, state: 'pending' }).orderBy('fee_code').select('fee_name', 'amount');
  const fees = rows.map((r) => ({ name: r.fee_name as string, amount: Number(r.amount) }));
  return { fees, amount: fees.reduce((sum, f) => sum + f.amount, 0) };
}

/**
 * Tells the applicant about a status change when it concerns them (domain/templates.ts decides), on
 * every channel, keyed by the event: runs in the transaction that records the event.
 */
export async function enqueueStatusNotification(trx: Knex, e: RecordEventInput): Promise<void> {
  if (e.type !== 'status' || e.toStatus === undefined) return;
  const template = statusTemplate(e.fromStatus, e.toStatus);
  if (!template) return;
  const context = await dossierContext(trx, e.dossierCode);
  if (!context || context.parentCode) return;
  const data: Record<string, unknown> = { ...context.data, reason: e.reason ?? '', status: e.toStatus, statusLabel: STATUS_LABELS[e.toStatus as DossierStatusCode] };
  if (template === 'fee-due') Object.assign(data, await pendingFees(trx, e.dossierCode));
  await enqueue(trx, {
    key: `${e.dossierCode}:${template}:${e.key}`, dossierCode: e.dossierCode, recipient: { kind: 'applicant', id: e.dossierCode },
    template, channels: APPLICANT_CHANNELS, data, applicant: context.applicant, eventKey: e.key,
  });
}
