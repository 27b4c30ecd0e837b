/**
 * The portal sync dispatcher: delivers the `portal_outbox` rows (one per status change, numbered per
 * dossier by a trigger in the transaction that recorded the change) to the portal adapter, at least
 * once and in order per dossier: a row is taken only when every earlier row of its dossier has been
 * acknowledged, so sequence n+1 never leaves before n is acknowledged. Failures are retried with
 * exponential backoff; after `maxAttempts` a row is flagged `stuck` (logged, listed by
 * `GET /api/sync/outbox?state=stuck`) and still retried at the longest interval, holding back the
 * dossier's later changes until it goes through.
 */
import type { Knex } from 'knex';
import { STATUS_LABELS, type DossierStatusCode } from '../domain/status';
import type { Logger } from '../lib/logger';
import { backoffMs, DEFAULT_RETRY, describeError, PermanentDeliveryError, startLoop, type DispatcherLoop, type RetryPolicy } from '../lib/outbox';
import type { PortalAdapter, PortalStatusChange } from '../lib/portal';

export interface PortalDispatcherDeps {
  db: Knex;
  portal: PortalAdapter;
  log: Logger;
  retry?: RetryPolicy;
  batchSize?: number;
}

const iso = (v: Date | string | null) => (v ? new Date(v).toISOString() : null);

/** One pass over the rows due now; resolves with how many it tried. */
export function portalPass(deps: PortalDispatcherDeps): () => Promise<number> {
  const { db, log } = deps;
  const retry = deps.retry ?? DEFAULT_RETRY;

  /** Sends one change; resolves with the error when it failed. */
  async function deliver(row: Record<string, any>): Promise<unknown> {
    const change: PortalStatusChange = {
      receiverKey: row.receiver_key, dossierCode: row.dossier_code, sequence: row.sequence, status: row.to_status,
      statusLabel: STATUS_LABELS[row.to_status as DossierStatusCode], previousStatus: row.from_status ?? null, at: iso(row.at) as string,
      reason: row.reason ?? null, procedureCode: row.procedure_code, agencyCode: row.national_code ?? row.agency_code,
      appointmentAt: iso(row.appointment_at),
    };
    try {
      await deps.portal.deliver(change);
      return undefined;
    } catch (err) {
      return err ?? new Error('delivery failed');
    }
  }

  async function settle(trx: Knex.Transaction, row: Record<string, any>, err: unknown): Promise<void> {
    const attempts = row.attempts + 1;
    if (err === undefined) {
      await trx('portal_outbox').where({ id: row.id }).update({ state: 'delivered', attempts, delivered_at: trx.fn.now(), last_error: null });
      return;
    }
    const error = describeError(err);
    const stuck = err instanceof PermanentDeliveryError || attempts >= retry.maxAttempts;
    const delay = stuck ? retry.maxMs : backoffMs(attempts, retry);
    await trx('portal_outbox').where({ id: row.id })
      .update({ state: stuck ? 'stuck' : 'pending', attempts, last_error: error, next_attempt_at: new Date(Date.now() + delay).toISOString() });
    if (stuck && row.state !== 'stuck') {
      log.warn({ receiverKey: row.receiver_key, attempts, error }, 'portal sync stuck: the dossier\'s later status changes wait for this one');
    } else {
      log.info({ receiverKey: row.receiver_key, attempts, error }, 'portal sync failed; will retry');
    }
  }

  return () => db.transaction(async (trx) => {
    const due = await trx('portal_outbox as o')
      .whereIn('o.state', ['pending', 'stuck']).where('o.next_attempt_at', '<=', trx.fn.now())
      .whereNotExists((q) => q.select(trx.raw('1')).from('portal_outbox as p')
        .whereRaw('p.dossier_code = o.dossier_code').whereRaw('p.sequence < o.sequence').whereNot('p.state', 'delivered'))
      .orderBy([{ column: 'o.next_attempt_at' }, { column: 'o.id' }]).limit(deps.batchSize ?? 20)
      .forUpdate().skipLocked()
      .select('o.id');
    if (due.length === 0) return 0;
    const rows = await trx('portal_outbox as o')
      .join('dossier_events as e', 'e.id', 'o.event_id')
      .join('dossiers as d', 'd.code', 'o.dossier_code')
      .leftJoin('agencies as a', 'a.code', 'd.agency_code')
      .whereIn('o.id', due.map((r) => r.id))
      .select('o.id', 'o.receiver_key', 'o.dossier_code', 'o.sequence', 'o.attempts', 'o.state', 'e.from_status', 'e.to_status', 'e.at',
        'e.reason', 'd.procedure_code', 'd.agency_code', 'd.appointment_at', 'a.national_code');
    // one row per dossier at most (the earlier ones must be acknowledged first), so they may go out together
    const outcomes = await Promise.all(rows.map(deliver));
    for (const [i, row] of rows.entries()) await settle(trx, row, outcomes[i]);
    return rows.length;
  });
}

/** Starts the portal sync loop (in the worker process). */
export function startPortalDispatcher(deps: PortalDispatcherDeps & { pollMs: number }): DispatcherLoop {
  return startLoop('portal-sync', portalPass(deps), { pollMs: deps.pollMs, log: deps.log });
}
