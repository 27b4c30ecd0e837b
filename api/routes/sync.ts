import { Router, type Request } from 'express';
import type { Knex } from 'knex';
import { requireOfficer } from '../auth';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors';
import { pageOf, queryEnum, queryText } from '../params';
import type { Validator } from '../validation';
import { idParam } from './notifications';

const iso = (v: Date | string | null) => (v ? new Date(v).toISOString() : null);

const statusChangeSchema = {
  type: 'object', additionalProperties: true,
  required: ['receiverKey', 'dossierCode', 'sequence', 'status', 'at'],
  properties: {
    receiverKey: { type: 'string', minLength: 3, maxLength: 200 },
    dossierCode: { type: 'string', minLength: 1, maxLength: 100 },
    sequence: { type: 'integer', minimum: 1 },
    status: { type: 'integer', minimum: 1, maximum: 10 },
    previousStatus: { type: ['integer', 'null'], minimum: 1, maximum: 10 },
    at: { type: 'string', format: 'date-time' },
  },
};

type StatusChange = { receiverKey: string; dossierCode: string; sequence: number; status: number; at: string };

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Portal sync for ops (the outbox, stuck rows, retry now) and the local receiver that stands in for
 * the national portal in the embedded default: it keeps one row per receiver key, answers a repeated
 * delivery as a duplicate, and refuses a change whose predecessor it has not received.
 */
export function syncRouter(deps: { db: Knex; validator: Validator }): Router {
  const { db, validator } = deps;
  const router = Router();

  router.get('/sync/outbox', async (req, res) => {
    requireOfficer(req, 'ops');
    const { page, pageSize, offset } = pageOf(req);
    const state = queryEnum(req, 'state', ['pending', 'delivered', 'stuck'] as const);
    const dossier = queryText(req, 'dossier');
    const q = db('portal_outbox as o').join('dossier_events as e', 'e.id', 'o.event_id').modify((b) => {
      if (state) b.where('o.state', state);
      if (dossier) b.where('o.dossier_code', dossier);
    });
    const [rows, [{ count }], counts] = await Promise.all([
      q.clone().orderBy([{ column: 'o.dossier_code' }, { column: 'o.sequence' }]).limit(pageSize).offset(offset)
        .select('o.*', 'e.from_status', 'e.to_status', 'e.at'),
      q.clone().count<{ count: string }[]>({ count: '*' }),
      db('portal_outbox').groupBy('state').select('state').count<{ state: string; count: string }[]>({ count: '*' }),
    ]);
    res.json({
      items: rows.map((r: Record<string, any>) => ({ id: String(r.id), receiverKey: r.receiver_key, dossierCode: r.dossier_code, sequence: r.sequence,
        fromStatus: r.from_status, toStatus: r.to_status, changedAt: iso(r.at), state: r.state, attempts: r.attempts, lastError: r.last_error,
        nextAttemptAt: r.state === 'delivered' ? null : iso(r.next_attempt_at), createdAt: iso(r.created_at), deliveredAt: iso(r.delivered_at) })),
      total: Number(count), page, pageSize,
      counts: Object.fromEntries(['pending', 'delivered', 'stuck'].map((s) => [s, Number(counts.find((c) => c.state === s)?.count ?? 0)])),
    });
  });

  router.post('/sync/outbox/:id/retry', async (req, res) => {
    requireOfficer(req, 'ops');
    const id = idParam(req.params.id);
    const row = await db('portal_outbox').where({ id }).first();
    if (!row) throw new NotFoundError(`no portal outbox row ${id}`);
    const updated = await db('portal_outbox').where({ id }).whereNot({ state: 'delivered' }).update({ next_attempt_at: db.fn.now() });
    if (updated === 0) throw new ConflictError(`row ${id} (${row.receiver_key}) was already delivered`, 'AlreadyDeliveredError');
    res.json({ id, receiverKey: row.receiver_key, state: row.state, retry: 'now' });
  });

  router.post('/local-portal/receive', async (req: Request, res) => {
    if (!LOOPBACK.has(req.ip ?? '')) throw new ForbiddenError('the local portal receiver takes deliveries from this machine only');
    const change = validator.check<StatusChange>(statusChangeSchema, req.body, 'the status change');
    const expected = `${change.dossierCode}:${change.sequence}`;
    if (change.receiverKey !== expected) {
      throw new ValidationError('the status change is invalid', [{ path: '$.receiverKey', message: `must be "${expected}" (dossier code:sequence)` }]);
    }
    const inserted = await db.transaction(async (trx) => {
      const seen = await trx('local_portal_receipts').where({ receiver_key: change.receiverKey })
        .update({ deliveries: trx.raw('deliveries + 1'), last_delivery_at: trx.fn.now() });
      if (seen) return false;
      if (change.sequence > 1) {
        const previous = await trx('local_portal_receipts').where({ dossier_code: change.dossierCode, sequence: change.sequence - 1 }).first('receiver_key');
        if (!previous) throw new ConflictError(`${change.receiverKey} arrived before ${change.dossierCode}:${change.sequence - 1}`, 'OutOfOrderError');
      }
      const rows = await trx('local_portal_receipts').insert({ receiver_key: change.receiverKey, dossier_code: change.dossierCode,
        sequence: change.sequence, payload: JSON.stringify(change) }).onConflict('receiver_key').ignore().returning('receiver_key');
      return rows.length > 0;
    });
    res.json({ receiverKey: change.receiverKey, duplicate: !inserted });
  });

  router.get('/local-portal/received', async (req, res) => {
    requireOfficer(req, 'ops');
    const { page, pageSize, offset } = pageOf(req);
    const dossier = queryText(req, 'dossier');
    const rows = await db('local_portal_receipts').modify((b) => { if (dossier) b.where({ dossier_code: dossier }); })
      .orderBy([{ column: 'dossier_code' }, { column: 'sequence' }]).limit(pageSize).offset(offset);
    res.json({ items: rows.map((r: Record<string, any>) => ({ receiverKey: r.receiver_key, dossierCode: r.dossier_code, sequence: r.sequence, payload: r.payload,
      deliveries: r.deliveries, receivedAt: iso(r.received_at), lastDeliveryAt: iso(r.last_delivery_at) })), page, pageSize });
  });
  return router;
}
