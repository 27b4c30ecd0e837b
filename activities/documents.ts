import { ApplicationFailure } from '@temporalio/common';
import type { Knex } from 'knex';
import type { DocumentStorage } from '../lib/storage';
import type { Plan } from '../domain/plan';
import type { Actor } from '../workflows/messages';
import type { DocumentActivities, PostalOrder } from './documents-types';
import { isInProvince, type PostalService } from '../stores/postal';

export interface DocumentActivityDeps {
  db: Knex;
  storage: DocumentStorage;
  postal: PostalService;
  /** the province the platform serves: postal deliveries to addresses naming it are due within a deadline */
  provinceName: string;
}

/** What digitization did: documents digitized (all present ones), required ones still missing, and those taken from the data store. */
export interface DigitizeResult {
  digitized: string[];
  missing: string[];
  reused: string[];
}

export const PostalAddressMissingError = 'PostalAddressMissingError';

const DOCUMENT_COLUMNS = ['id', 'document_code', 'file_name', 'media_type', 'size', 'sha256', 'reused', 'storage_key', 'digitization_code'];

function toOrder(row: Record<string, any>): PostalOrder {
  return {
    orderId: row.order_id, trackingNo: row.tracking_no, createdAt: new Date(row.created_at).toISOString(), inProvince: row.in_province,
    ...(row.due_at ? { dueAt: new Date(row.due_at).toISOString() } : {}),
  };
}

/** Digitization, the applicant's data store, results and postal return; each keyed so that a retry has no second effect. */
export function createDocumentActivities({ db, storage, postal, provinceName }: DocumentActivityDeps):
  DocumentActivities & { digitize(input: { dossierCode: string; stepId: string; documents: 'all' | string[]; actor: Actor }): Promise<DigitizeResult> } {
  return {
    /**
     * Numbers each of the step's documents once (`<dossier>-TP<nn>`), recording the officer, the document
     * type metadata and how it was digitized; a required document the dossier lacks is taken from the
     * applicant's data store instead of being asked for again; uploaded documents go into that store.
     */
    async digitize({ dossierCode, documents, actor }) {
      return db.transaction(async (trx) => {
        const dossier = await trx('dossiers').where({ code: dossierCode }).forUpdate()
          .first('procedure_code', 'procedure_version', 'applicant', 'channel', 'accepted_at');
        if (!dossier) throw ApplicationFailure.nonRetryable(`no dossier ${dossierCode}`, 'DossierNotFoundError');
        const { plan } = await trx('procedure_versions').where({ code: dossier.procedure_code, version: dossier.procedure_version })
          .first('plan') as { plan: Plan };
        const wanted = documents === 'all' ? plan.documents.map((d) => d.code) : documents;
        const names = new Map(plan.documents.map((d) => [d.code, d.name]));
        const ownerId: string = dossier.applicant.idNumber;
        // numbered in the order the procedure lists its documents, then as they came
        const order = (code: string) => plan.documents.findIndex((d) => d.code === code);
        const current = async () => (await trx('dossier_documents').where({ dossier_code: dossierCode }).whereIn('document_code', wanted)
          .orderBy([{ column: 'created_at' }, { column: 'id' }]).select(DOCUMENT_COLUMNS))
          .sort((a, b) => order(a.document_code) - order(b.document_code));
        let rows = await current();
        const present = new Set(rows.map((r) => r.document_code));
        let added = false;
        // only once an officer has checked the applicant's identity at reception: anyone can type an identity number
        const required = new Set(plan.documents.filter((d) => d.required).map((d) => d.code));
        const fromStore = dossier.accepted_at ? wanted.filter((c) => required.has(c) && !present.has(c)) : [];
        for (const code of fromStore) {
          const stored = await trx('applicant_documents').where({ applicant_id: ownerId, document_code: code, source: 'dossier' })
            .orderBy('created_at', 'desc').first();
          if (!stored) continue;
          await trx('dossier_documents').insert({ dossier_code: dossierCode, document_code: code, file_name: stored.file_name,
            media_type: stored.media_type, size: stored.size, sha256: stored.sha256, storage_key: stored.storage_key, reused: true,
            applicant_document_id: stored.id });
          added = true;
        }
        if (added) rows = await current();

        const numbered = await trx('dossier_documents').where({ dossier_code: dossierCode }).whereNotNull('digitization_code').count({ n: '*' });
        let n = Number(numbered[0].n);
        for (const row of rows.filter((r) => !r.digitization_code)) {
          let storageKey: string | null = row.storage_key;
          if (!storageKey && !row.reused) {
            // a row from before the file store: its bytes move there now
            const old = await trx('dossier_documents').where({ id: row.id }).first('content');
            if (old?.content) storageKey = (await storage.put(old.content as Buffer)).key;
          }
          n += 1;
          const digitizationCode = `${dossierCode}-TP${String(n).padStart(2, '0')}`;
          const result = row.reused ? 'reused' : dossier.channel === 'online' ? 'uploaded' : 'scanned';
          await trx('dossier_documents').where({ id: row.id }).update({
            digitization_code: digitizationCode, digitization_result: result, digitized_by: actor.username, digitized_at: trx.fn.now(),
            storage_key: storageKey, ...(storageKey && storageKey !== row.storage_key ? { content: null } : {}),
            metadata: JSON.stringify({ documentType: row.document_code, documentName: names.get(row.document_code) ?? null, ownerId,
              digitizedBy: actor.username, digitizedByName: actor.fullName ?? null }),
          });
          if (!row.reused && storageKey) {
            await trx('applicant_documents').insert({ applicant_id: ownerId, document_code: row.document_code,
              document_name: names.get(row.document_code) ?? null, file_name: row.file_name, media_type: row.media_type ?? 'application/octet-stream',
              size: row.size ?? 0, sha256: row.sha256 ?? storageKey, storage_key: storageKey, source: 'dossier', dossier_code: dossierCode,
              digitization_code: digitizationCode }).onConflict(['applicant_id', 'document_code', 'sha256']).ignore();
          }
        }
        const have = new Set(rows.map((r) => r.document_code));
        const missing = plan.documents.filter((d) => d.required && wanted.includes(d.code) && !have.has(d.code)).map((d) => d.code);
        return { digitized: [...have], missing, reused: [...new Set(rows.filter((r) => r.reused).map((r) => r.document_code as string))] };
      });
    },

    async pushResultsToDataStore({ dossierCode }) {
      return db.transaction(async (trx) => {
        const dossier = await trx('dossiers').where({ code: dossierCode }).first('applicant');
        if (!dossier) throw ApplicationFailure.nonRetryable(`no dossier ${dossierCode}`, 'DossierNotFoundError');
        const results = await trx('dossier_results').where({ dossier_code: dossierCode }).orderBy('seq');
        for (const r of results) {
          await trx('applicant_documents').insert({ applicant_id: dossier.applicant.idNumber, document_code: r.code, document_name: r.name,
            file_name: r.file_name, media_type: r.media_type, size: r.size, sha256: r.sha256, storage_key: r.storage_key, source: 'result',
            dossier_code: dossierCode, digitization_code: r.code }).onConflict(['applicant_id', 'document_code', 'sha256']).ignore();
        }
        await trx('dossier_results').where({ dossier_code: dossierCode }).whereNull('pushed_at').update({ pushed_at: trx.fn.now() });
        return { results: results.map((r) => r.code as string) };
      });
    },

    async createPostalOrder({ dossierCode, stepId, iteration, dueWithinMs }) {
      const key = { dossier_code: dossierCode, step_id: stepId, iteration };
      const existing = await db('postal_orders').where(key).first();
      if (existing) return toOrder(existing);
      const dossier = await db('dossiers').where({ code: dossierCode }).first('applicant');
      if (!dossier) throw ApplicationFailure.nonRetryable(`no dossier ${dossierCode}`, 'DossierNotFoundError');
      const { fullName, address, phone } = dossier.applicant as { fullName: string; address?: string; phone?: string };
      if (!address?.trim()) {
        throw ApplicationFailure.nonRetryable(`the applicant of dossier ${dossierCode} gave no postal address`, PostalAddressMissingError);
      }
      const items = await db('dossier_results').where({ dossier_code: dossierCode }).orderBy('seq').pluck('code');
      const placed = await postal.createOrder({ idempotencyKey: `${dossierCode}:${stepId}:${iteration}`, dossierCode,
        recipient: { fullName, address, phone }, items });
      const inProvince = isInProvince(address, provinceName);
      await db('postal_orders').insert({ ...key, provider: postal.name, order_id: placed.orderId, tracking_no: placed.trackingNo, address,
        in_province: inProvince, created_at: placed.acceptedAt,
        due_at: inProvince ? new Date(Date.parse(placed.acceptedAt) + dueWithinMs).toISOString() : null,
      }).onConflict(['dossier_code', 'step_id', 'iteration']).ignore();
      return toOrder(await db('postal_orders').where(key).first());
    },

    async flagLateDelivery({ dossierCode, orderId }) {
      await db.transaction(async (trx) => {
        await trx('postal_orders').where({ dossier_code: dossierCode, order_id: orderId }).update({ late: true });
        await trx('dossiers').where({ code: dossierCode }).update({ late_delivery: true });
      });
    },
  };
}
