import { ApplicationFailure } from '@temporalio/common';
import type { Knex } from 'knex';
import { partnerSecret, signBody, SIGNATURE_HEADER, type Integrations } from '../lib/integrations';
import type { DocumentStorage } from '../lib/storage';
import type { Actor } from '../workflows/messages';

export interface SendHandoffInput {
  /** made by the workflow; the partner answers at `/api/handoffs/{handoffId}/result` */
  handoffId: string;
  dossierCode: string;
  stepId: string;
  iteration: number;
  endpoint: string;
  fromAgency: string;
  toAgency: string;
  actor: Actor;
  handedAt: string;
  dueAt?: string;
}

export interface CloseExternalHandoffInput {
  handoffId: string;
  outcome: string;
  reason?: string;
  data?: Record<string, unknown>;
  receivedBy?: string;
  receivedAt?: string;
  answeredBy?: string;
  at: string;
}

export interface CancelExternalHandoffInput {
  handoffId: string;
  dossierCode: string;
  stepId: string;
  iteration: number;
  endpoint: string;
  toAgency: string;
  /** the lead dossier's ending status: 7 withdrawn, 8 stopped */
  status: number;
  reason: string;
  at: string;
}

export interface HandoffActivities {
  /**
   * Sends the dossier package to an external partner over HTTP, signed, with the idempotency key
   * `<dossier>:<step>:<iteration>`, and records the hop. Retries transient failures; a partner refusing
   * the package (4xx) fails with `PartnerRejectedError`.
   */
  sendHandoffPackage(input: SendHandoffInput): Promise<{ handoffId: string; partnerReference: string | null }>;
  /** Records how an external handoff came back (answered or timed out), once. */
  closeExternalHandoff(input: CloseExternalHandoffInput): Promise<void>;
  /**
   * The lead dossier ended (withdrawn or stopped) while the partner had it: closes the hop as
   * `cancelled` and tells the partner, signed, with the idempotency key `<dossier>:<step>:<iteration>:cancel`.
   */
  cancelExternalHandoff(input: CancelExternalHandoffInput): Promise<void>;
}

const RETRYABLE = new Set([408, 425, 429]);
const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

/**
 * POSTs a JSON body to a partner, signed with its key and carrying an idempotency key. Unreachable,
 * 408/425/429 and 5xx throw a retryable error; any other 4xx is the partner refusing (non-retryable
 * `PartnerRejectedError`). Returns the answer's text.
 */
async function postToPartner(integrations: Integrations, to: { agency: string; endpoint: string }, body: string,
  idempotencyKey: string, what: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(to.endpoint, {
      method: 'POST', body, signal: AbortSignal.timeout(20_000),
      headers: { 'content-type': 'application/json', 'Idempotency-Key': idempotencyKey,
        [SIGNATURE_HEADER]: signBody(partnerSecret(integrations, to.agency), body) },
    });
  } catch (err) {
    throw new Error(`partner ${to.agency} at ${to.endpoint} is unreachable: ${(err as Error).message}`, { cause: err });
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) {
    const message = `partner ${to.agency} answered ${what} with ${res.status}: ${text.slice(0, 500)}`;
    if (res.status >= 500 || RETRYABLE.has(res.status)) throw new Error(message);
    throw ApplicationFailure.nonRetryable(message, 'PartnerRejectedError');
  }
  return text;
}

/** Handoffs to partner agencies outside the platform. */
export function createHandoffActivities({ db, integrations, storage }: { db: Knex; integrations?: Integrations; storage?: DocumentStorage }):
  HandoffActivities {
  /** A document's bytes: from the file store, or from the row for documents stored before it. */
  async function contentOf(d: { storage_key?: string | null; content?: Buffer | null }): Promise<string | null> {
    const bytes = d.storage_key && storage ? await storage.get(d.storage_key) : d.content;
    return bytes ? Buffer.from(bytes).toString('base64') : null;
  }

  return {
    async sendHandoffPackage(input) {
      if (!integrations) throw ApplicationFailure.nonRetryable('the worker has no handoff key configured', 'NotConfiguredError');
      const idempotencyKey = `${input.dossierCode}:${input.stepId}:${input.iteration}`;
      await db('handoffs').insert({ id: input.handoffId, dossier_code: input.dossierCode, step_id: input.stepId, iteration: input.iteration,
        kind: 'external', to_agency: input.toAgency, endpoint: input.endpoint, idempotency_key: idempotencyKey,
        handed_by: input.actor.username, handed_at: input.handedAt, due_at: input.dueAt ?? null })
        .onConflict(['dossier_code', 'step_id', 'iteration']).ignore();
      const hop = await db('handoffs').where({ dossier_code: input.dossierCode, step_id: input.stepId, iteration: input.iteration }).first();
      const dossier = await db('dossiers').where({ code: input.dossierCode }).first();
      const documents = await db('dossier_documents').where({ dossier_code: input.dossierCode }).orderBy('created_at');
      const body = JSON.stringify({
        handoff: { id: hop.id, stepId: input.stepId, iteration: input.iteration, from: input.fromAgency, to: input.toAgency,
          handedBy: input.actor.username, handedAt: input.handedAt, dueAt: input.dueAt ?? null,
          callbackUrl: `${integrations.publicUrl}/api/handoffs/${hop.id}/result` },
        dossier: { code: dossier.code, procedure: { code: dossier.procedure_code, version: dossier.procedure_version, name: dossier.procedure_name },
          agency: dossier.agency_code, submittedAt: iso(dossier.submitted_at), acceptedAt: iso(dossier.accepted_at),
          appointmentAt: iso(dossier.appointment_at), applicant: dossier.applicant, application: dossier.application },
        documents: await Promise.all(documents.map(async (d) => ({ code: d.document_code, fileName: d.file_name, mediaType: d.media_type,
          sha256: d.sha256, digitizationCode: d.digitization_code, reused: d.reused, contentBase64: await contentOf(d) }))),
      });
      const text = await postToPartner(integrations, { agency: input.toAgency, endpoint: input.endpoint }, body, idempotencyKey, 'the package');
      let partnerReference: string | null = null;
      try {
        const answer = JSON.parse(text) as { reference?: unknown };
        if (typeof answer.reference === 'string') partnerReference = answer.reference.slice(0, 200);
      } catch {
        // an answer without a JSON body is fine: the partner's reference is optional
      }
      await db('handoffs').where({ id: hop.id }).whereNull('sent_at').update({ sent_at: db.fn.now(), partner_reference: partnerReference });
      return { handoffId: hop.id, partnerReference };
    },

    async cancelExternalHandoff(c) {
      if (!integrations) throw ApplicationFailure.nonRetryable('the worker has no handoff key configured', 'NotConfiguredError');
      await db('handoffs').where({ id: c.handoffId }).whereNull('returned_at').update({ outcome: 'cancelled', reason: c.reason, returned_at: c.at });
      const body = JSON.stringify({ event: 'cancelled', handoff: { id: c.handoffId, stepId: c.stepId, iteration: c.iteration },
        dossier: { code: c.dossierCode, status: c.status }, reason: c.reason, at: c.at });
      await postToPartner(integrations, { agency: c.toAgency, endpoint: c.endpoint }, body, `${c.dossierCode}:${c.stepId}:${c.iteration}:cancel`,
        'the cancellation');
    },

    async closeExternalHandoff(c) {
      await db('handoffs').where({ id: c.handoffId }).whereNull('returned_at').update({
        outcome: c.outcome, reason: c.reason ?? null, result: c.data ? JSON.stringify(c.data) : null, returned_at: c.at,
        received_by: c.receivedBy ?? null, received_at: c.receivedAt ?? null, answered_by: c.answeredBy ?? null,
      });
    },
  };
}
