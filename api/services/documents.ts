import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { PostalService } from '../../stores/postal';
import { inspectMedia, type DocumentLimits } from '../../lib/media';
import type { DocumentStorage } from '../../lib/storage';
import { DossierStatus, STATUS_LABELS, isTerminal, type DossierStatusCode } from '../../domain/status';
import { postalDeliveredSignal } from '../../workflows/messages';
import type { Principal } from '../auth';
import { UUID } from '../boundary';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, ValidationError, type ProblemDetail } from '../errors';
import { settledView } from './observe';
import type { Validator } from '../validation';

/** A document as submitted: uploaded bytes, or taken from the applicant's electronic data store. */
export type SubmittedDocument = { code: string; fileName: string; contentBase64: string; mediaType?: string } | { code: string; reuse: true };

/** A submitted document checked and ready to be saved with its dossier. */
export interface PreparedDocument {
  code: string;
  upload?: { fileName: string; mediaType: string; bytes: Buffer };
  reused?: { id: string; file_name: string | null; media_type: string; size: number; sha256: string; storage_key: string };
}

export interface DocumentServiceDeps {
  db: Knex;
  temporal: Client;
  validator: Validator;
  storage: DocumentStorage;
  postal: PostalService;
  limits: DocumentLimits;
  /** the secret the postal service signs its delivery callbacks with; without it only officers record deliveries */
  postalCallbackSecret?: string;
}

export const resultSchema = {
  type: 'object', additionalProperties: false, required: ['name', 'fileName', 'contentBase64'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 500 },
    fileName: { type: 'string', minLength: 1, maxLength: 255 },
    mediaType: { type: 'string', maxLength: 100 },
    contentBase64: { type: 'string', minLength: 1 },
  },
} as const;

export const deliveredSchema = {
  type: 'object', additionalProperties: false,
  properties: { deliveredAt: { type: 'string', format: 'date-time' }, receivedBy: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

/** A file to send: its bytes, media type and name. */
export interface Download {
  bytes: Buffer;
  mediaType: string;
  fileName: string;
}

/**
 * Documents and results of dossiers, kept in the file store: checks on upload (size, media type detected
 * from the bytes against the declared one), the applicant's electronic data store, results coded
 * `<dossier code>-KQ<n>`, and the post's delivery reports.
 */
/** What a postal delivery callback signs: order id, delivery time and recipient, one per line. */
export function postalSignature(secret: string, orderId: string, deliveredAt: string, receivedBy = ''): string {
  return `sha256=${createHmac('sha256', secret).update(`${orderId}\n${deliveredAt}\n${receivedBy}`).digest('hex')}`;
}

export function createDocumentService({ db, temporal, validator, storage, postal, limits, postalCallbackSecret }: DocumentServiceDeps) {
  async function dossierFor(code: string, principal: Principal | undefined) {
    const row = await db('dossiers').where({ code }).first();
    if (!row) throw new NotFoundError(`no dossier ${code}`);
    if (!principal) throw new UnauthorizedError('sign in, or use the applicant token given at submission');
    if (principal.kind === 'applicant' && principal.dossierCode !== code) throw new ForbiddenError('this token is for another dossier');
    if (principal.kind === 'officer' && principal.agency !== row.agency_code) throw new ForbiddenError('this dossier belongs to another agency');
    return row;
  }

  async function bytesOf(row: { storage_key?: string | null; id: string }, table: string): Promise<Buffer> {
    if (row.storage_key) {
      const bytes = await storage.get(row.storage_key);
      if (!bytes) throw new NotFoundError('the file is no longer in the store');
      return bytes;
    }
    const old = await db(table).where({ id: row.id }).first('content');
    if (!old?.content) throw new NotFoundError('this document has no content (it was to be taken from the data store)');
    return old.content as Buffer;
  }

  /** The applicant's identifier whose data store the caller may read, or 403. */
  async function storeOwner(principal: Principal | undefined, applicant: string): Promise<string> {
    if (!principal) throw new UnauthorizedError('use the applicant token of one of your dossiers, or sign in as a one-stop officer');
    if (applicant === 'me') {
      if (principal.kind !== 'applicant') throw new ForbiddenError('"me" is the applicant holding a dossier token; officers name the identifier');
      const row = await db('dossiers').where({ code: principal.dossierCode }).first('applicant', 'accepted_at');
      if (!row) throw new NotFoundError(`no dossier ${principal.dossierCode}`);
      if (!row.accepted_at) {
        throw new ForbiddenError('your data store opens once a dossier of yours has been accepted at reception (where your identity is checked)');
      }
      return row.applicant.idNumber;
    }
    if (principal.kind !== 'officer' || !principal.roles.includes('one-stop-officer')) {
      throw new ForbiddenError('an applicant\'s data store is read by its owner ("me") or a one-stop officer');
    }
    return applicant;
  }

  /** Checks each document (content, size, type, or its presence in the data store); every problem with its path. */
  async function prepare(documents: SubmittedDocument[], ctx: { ownerId: string; mayReuse: boolean; root?: string }):
    Promise<{ items: PreparedDocument[]; problems: ProblemDetail[] }> {
    const root = ctx.root ?? '$.documents';
    const items: PreparedDocument[] = [];
    const problems: ProblemDetail[] = [];
    for (const [i, d] of documents.entries()) {
      const at = `${root}[${i}]`;
      if ('reuse' in d) {
        if (!ctx.mayReuse) {
          problems.push({ path: `${at}.reuse`, message: 'taking a document from the applicant\'s data store needs the applicant token of ' +
            'an earlier dossier of the same applicant accepted at reception (Authorization: Bearer …), or a one-stop officer receiving at the counter' });
          continue;
        }
        const stored = await db('applicant_documents').where({ applicant_id: ctx.ownerId, document_code: d.code, source: 'dossier' })
          .orderBy('created_at', 'desc').first();
        if (!stored) {
          problems.push({ path: `${at}.code`, message: `"${d.code}" is not in the applicant's electronic data store: upload it` });
          continue;
        }
        items.push({ code: d.code, reused: stored });
        continue;
      }
      const text = d.contentBase64.replace(/\s+/g, '');
      if (!BASE64.test(text) || text.length % 4 === 1) {
        problems.push({ path: `${at}.contentBase64`, message: 'is not valid base64' });
        continue;
      }
      const bytes = Buffer.from(text, 'base64');
      const { mediaType, problems: found } = inspectMedia(bytes, d, limits);
      problems.push(...found.map((p) => ({ path: `${at}.${p.field}`, message: `${d.fileName}: ${p.message}` })));
      if (!found.length && mediaType) items.push({ code: d.code, upload: { fileName: d.fileName, mediaType, bytes } });
    }
    return { items, problems };
  }

  const storeItem = (d: Record<string, any>) => ({ id: d.id, documentCode: d.document_code, documentName: d.document_name, fileName: d.file_name,
    mediaType: d.media_type, size: d.size, sha256: d.sha256, source: d.source, dossierCode: d.dossier_code,
    digitizationCode: d.digitization_code, createdAt: iso(d.created_at) });

  const resultItem = (r: Record<string, any>) => ({ code: r.code, name: r.name, fileName: r.file_name, mediaType: r.media_type, size: r.size,
    sha256: r.sha256, createdBy: r.created_by, unit: r.created_by_unit, createdAt: iso(r.created_at), pushedToDataStoreAt: iso(r.pushed_at) });

  return {
    /**
     * May the caller take documents from `idNumber`'s data store into a new dossier? Yes for a one-stop
     * officer receiving at the counter (who checks the person's identity), and for the applicant
     * proving it with the token of an earlier dossier of the same identifier, accepted at reception.
     */
    async mayReuse(principal: Principal | undefined, idNumber: string, counterOfficer: boolean): Promise<boolean> {
      if (counterOfficer) return true;
      if (principal?.kind !== 'applicant') return false;
      const row = await db('dossiers').where({ code: principal.dossierCode }).first('applicant', 'accepted_at');
      return Boolean(row?.accepted_at) && row?.applicant?.idNumber === idNumber;
    },

    prepare,

    /** Puts the uploads in the file store and records every document of the dossier (in the caller's transaction). */
    async save(trx: Knex.Transaction, dossierCode: string, items: PreparedDocument[]): Promise<void> {
      for (const item of items) {
        if (item.upload) {
          const stored = await storage.put(item.upload.bytes);
          await trx('dossier_documents').insert({ dossier_code: dossierCode, document_code: item.code, file_name: item.upload.fileName,
            media_type: item.upload.mediaType, size: stored.size, sha256: stored.sha256, storage_key: stored.key });
        } else if (item.reused) {
          const r = item.reused;
          await trx('dossier_documents').insert({ dossier_code: dossierCode, document_code: item.code, file_name: r.file_name,
            media_type: r.media_type, size: r.size, sha256: r.sha256, storage_key: r.storage_key, reused: true, applicant_document_id: r.id });
        }
      }
    },

    /** A dossier document's bytes, for its applicant and the agency's officers. */
    async documentContent(code: string, id: string, principal: Principal | undefined): Promise<Download> {
      await dossierFor(code, principal);
      if (!UUID.test(id)) throw new NotFoundError(`no document ${id} in dossier ${code}`);
      const row = await db('dossier_documents').where({ dossier_code: code, id }).first('id', 'storage_key', 'media_type', 'file_name', 'document_code');
      if (!row) throw new NotFoundError(`no document ${id} in dossier ${code}`);
      return { bytes: await bytesOf(row, 'dossier_documents'), mediaType: row.media_type ?? 'application/octet-stream',
        fileName: row.file_name ?? `${row.document_code}` };
    },

    /** An officer of a unit handling the dossier (or of the counter) attaches a result, coded `<dossier code>-KQ<n>`. */
    async attachResult(code: string, principal: Principal | undefined, raw: unknown) {
      if (principal?.kind !== 'officer') throw new ForbiddenError('results are attached by officers');
      const row = await dossierFor(code, principal);
      const handling = await db('tasks').where({ dossier_code: code, unit_code: principal.unit }).first('id');
      if (!handling && !principal.roles.includes('one-stop-officer')) {
        throw new ForbiddenError(`results are attached by an officer of a unit handling dossier ${code}, or of the counter`);
      }
      const body = validator.check<{ name: string; fileName: string; contentBase64: string; mediaType?: string }>(resultSchema, raw, 'the result');
      if (isTerminal(row.status)) throw new ConflictError(`dossier ${code} has ended (status ${row.status})`, 'DossierEndedError');
      const { items, problems } = await prepare([{ code: 'result', ...body }], { ownerId: row.applicant.idNumber, mayReuse: false, root: '$' });
      if (problems.length) {
        throw new ValidationError('the result is invalid', problems.map((p) => ({ ...p, path: p.path.replace(/^\$\[0\]/, '$') })));
      }
      const upload = items[0].upload!;
      const stored = await storage.put(upload.bytes);
      const result = await db.transaction(async (trx) => {
        await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`results:${code}`]);
        const [{ max }] = await trx('dossier_results').where({ dossier_code: code }).max({ max: 'seq' });
        const seq = Number(max ?? 0) + 1;
        const resultCode = `${code}-KQ${seq}`;
        const [inserted] = await trx('dossier_results').insert({ dossier_code: code, seq, code: resultCode, name: body.name,
          file_name: upload.fileName, media_type: upload.mediaType, size: stored.size, sha256: stored.sha256, storage_key: stored.key,
          created_by: principal.username, created_by_unit: principal.unit }).returning('*');
        await trx('dossier_events').insert({ dossier_code: code, event_key: `result:${resultCode}`, type: 'result-attached',
          actor: principal.username, actor_name: principal.fullName, reason: body.name, at: new Date().toISOString(),
          data: JSON.stringify({ resultCode, fileName: upload.fileName, mediaType: upload.mediaType, size: stored.size, sha256: stored.sha256 }) });
        return inserted;
      });
      return resultItem(result);
    },

    /** The dossier's results: officers of the agency at any time, its applicant once the result is returned (status 10). */
    async listResults(code: string, principal: Principal | undefined) {
      const row = await dossierFor(code, principal);
      if (principal?.kind === 'applicant' && row.status !== DossierStatus.Returned) return { items: [] };
      const rows = await db('dossier_results').where({ dossier_code: code }).orderBy('seq');
      return { items: rows.map(resultItem) };
    },

    async resultContent(code: string, resultCode: string, principal: Principal | undefined): Promise<Download> {
      const row = await dossierFor(code, principal);
      if (principal?.kind === 'applicant' && row.status !== DossierStatus.Returned) {
        throw new ForbiddenError(`the result of dossier ${code} is not returned yet (status ${row.status} ${STATUS_LABELS[row.status as DossierStatusCode]})`);
      }
      const r = await db('dossier_results').where({ dossier_code: code, code: resultCode }).first('id', 'storage_key', 'media_type', 'file_name');
      if (!r) throw new NotFoundError(`no result ${resultCode} in dossier ${code}`);
      return { bytes: await bytesOf(r, 'dossier_results'), mediaType: r.media_type, fileName: r.file_name };
    },

    /** The documents in an applicant's electronic data store (`me`: the holder of a dossier token). */
    async listStore(principal: Principal | undefined, applicant: string) {
      const owner = await storeOwner(principal, applicant);
      const rows = await db('applicant_documents').where({ applicant_id: owner }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }]);
      return { applicant: owner, items: rows.map(storeItem) };
    },

    async storeContent(principal: Principal | undefined, applicant: string, id: string): Promise<Download> {
      const owner = await storeOwner(principal, applicant);
      if (!UUID.test(id)) throw new NotFoundError(`no document ${id} in the data store`);
      const row = await db('applicant_documents').where({ applicant_id: owner, id }).first();
      if (!row) throw new NotFoundError(`no document ${id} in the data store`);
      return { bytes: await bytesOf(row, 'applicant_documents'), mediaType: row.media_type, fileName: row.file_name ?? row.document_code };
    },

    /** The dossier's postal orders, with the post's tracking. */
    async postalOrders(code: string, principal: Principal | undefined) {
      await dossierFor(code, principal);
      const rows = await db('postal_orders').where({ dossier_code: code }).orderBy('created_at');
      return {
        items: await Promise.all(rows.map(async (o) => ({
          orderId: o.order_id, trackingNo: o.tracking_no, provider: o.provider, state: o.state, inProvince: o.in_province,
          createdAt: iso(o.created_at), dueAt: iso(o.due_at), deliveredAt: iso(o.delivered_at), receivedBy: o.received_by, late: o.late,
          tracking: await postal.track(o.order_id) ?? null,
        }))),
      };
    },

    /**
     * The post's delivery report for an order: its signed callback (`X-Postal-Signature`), or a one-stop
     * officer of the dossier's agency recording it. The dossier gets status 10. A report already recorded
     * is refused (409) once the dossier has it; before that, a retry delivers it again without a second effect.
     */
    async delivered(orderId: string, principal: Principal | undefined, raw: unknown, signature?: string) {
      const body = validator.check<{ deliveredAt?: string; receivedBy?: string }>(deliveredSchema, raw ?? {}, 'the delivery report');
      let actor: { username: string; fullName?: string };
      if (signature !== undefined) {
        if (!postalCallbackSecret) throw new UnauthorizedError('signed postal callbacks are not configured (POSTAL_CALLBACK_SECRET)');
        if (!body.deliveredAt) throw new ValidationError('the delivery report is invalid', [{ path: '$.deliveredAt', message: 'is required in a signed callback' }]);
        const expected = Buffer.from(postalSignature(postalCallbackSecret, orderId, body.deliveredAt, body.receivedBy));
        const given = Buffer.from(signature);
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          throw new UnauthorizedError('the X-Postal-Signature does not match the report');
        }
        actor = { username: `postal:${postal.name}`, fullName: 'Bưu chính công ích' };
      } else if (principal?.kind === 'officer' && principal.roles.includes('one-stop-officer')) {
        actor = { username: principal.username, fullName: principal.fullName };
      } else {
        throw new ForbiddenError('a postal delivery is reported by the postal service (signed) or recorded by a one-stop officer');
      }
      const order = await db('postal_orders').where({ order_id: orderId }).first();
      if (!order) throw new NotFoundError(`no postal order ${orderId}`);
      const dossier = signature !== undefined ? await db('dossiers').where({ code: order.dossier_code }).first()
        : await dossierFor(order.dossier_code, principal);
      const deliveredAt = new Date(body.deliveredAt ?? Date.now()).toISOString();
      if (Date.parse(deliveredAt) < new Date(order.created_at).getTime() || Date.parse(deliveredAt) > Date.now() + 60_000) {
        throw new ValidationError('the delivery report is invalid', [{ path: '$.deliveredAt',
          message: `must lie between the order (${iso(order.created_at)}) and now` }]);
      }
      if (order.state === 'delivered' && dossier.status === DossierStatus.Returned) {
        throw new ConflictError(`postal order ${orderId} was already delivered at ${iso(order.delivered_at)}`, 'AlreadyDeliveredError');
      }
      if (order.state === 'created') {
        if (!(await postal.confirmDelivery(orderId, { deliveredAt, receivedBy: body.receivedBy }))) {
          throw new NotFoundError(`the postal service knows no order ${orderId}`);
        }
        await db('postal_orders').where({ id: order.id, state: 'created' }).update({ state: 'delivered', delivered_at: deliveredAt,
          received_by: body.receivedBy ?? null, confirmed_by: actor.username });
      }
      const recorded = await db('postal_orders').where({ id: order.id }).first();
      const handle = temporal.workflow.getHandle(order.dossier_code);
      await handle.signal(postalDeliveredSignal, { orderId, deliveredAt: iso(recorded.delivered_at) as string,
        receivedBy: recorded.received_by ?? undefined, actor });
      const { status } = await settledView(handle);
      const after = await db('postal_orders').where({ id: order.id }).first('late');
      return { orderId, dossierCode: order.dossier_code, deliveredAt: iso(recorded.delivered_at), late: after.late, status,
        statusLabel: STATUS_LABELS[status as DossierStatusCode] };
    },
  };
}

export type DocumentService = ReturnType<typeof createDocumentService>;

/** What the dossier service needs of documents. */
export type DossierDocuments = Pick<DocumentService, 'prepare' | 'save' | 'mayReuse'>;

/** For a dossier service built without a file store (workflow tests): every document is refused, with its path. */
export const withoutDocuments: DossierDocuments = {
  async prepare(documents, ctx) {
    return { items: [], problems: documents.map((_d, i) => ({ path: `${ctx.root ?? '$.documents'}[${i}]`,
      message: 'documents are not accepted here: no file store is configured' })) };
  },
  async save() { /* nothing to save */ },
  async mayReuse() { return false; },
};
