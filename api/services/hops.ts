import type { Knex } from 'knex';
import { hopTiming } from '../../domain/hop-timing';

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

/** Every hop of a dossier's handoffs (form 05): handed over, received, by whom, and whether early, on time or late. */
export async function hopsOf(db: Knex, dossierCode: string) {
  const rows = await db('handoffs').where({ dossier_code: dossierCode }).orderBy('handed_at');
  return rows.map((h) => ({
    id: h.id, stepId: h.step_id, iteration: h.iteration, kind: h.kind, toAgency: h.to_agency,
    partnerProcedure: h.partner_procedure, partnerDossier: h.partner_dossier_code, endpoint: h.endpoint,
    handedBy: h.handed_by, handedAt: iso(h.handed_at), sentAt: iso(h.sent_at), dueAt: iso(h.due_at),
    receivedBy: h.received_by, receivedAt: iso(h.received_at), answeredBy: h.answered_by,
    outcome: h.outcome, reason: h.reason, returnedAt: iso(h.returned_at),
    timing: h.returned_at && h.outcome !== 'timeout' ? hopTiming(iso(h.returned_at) as string, iso(h.due_at)) : h.outcome === 'timeout' ? 'late' : null,
  }));
}
