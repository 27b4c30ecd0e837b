import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { BadRequestError, ConflictError, ValidationError } from './errors';

/** How long a running request holds its key without renewing it; it renews every third of that. */
const LEASE_MS = 10_000;

function principalKey(req: Request): string {
  const p = req.principal;
  if (!p) return 'anonymous';
  return p.kind === 'officer' ? p.username : `applicant:${p.dossierCode}`;
}

/**
 * The request's identity for the services: the same for every retry with the same `Idempotency-Key`
 * from the same caller, so a retry whose first attempt died can be recognised downstream (e.g. as the
 * Temporal Update id of a task completion). Undefined without a key.
 */
export function requestKeyOf(req: Request): string | undefined {
  const key = req.header('Idempotency-Key');
  if (!key) return undefined;
  return createHash('sha256').update(`${principalKey(req)}\n${key}`).digest('hex').slice(0, 32);
}

/**
 * `Idempotency-Key` on a write: the first request's answer is stored and replayed for every retry with
 * the same key, without a second effect. A key reused for another request is refused (422). A retry
 * while the first is still running gets 409; the running request renews a short lease on its key, so
 * a key whose request died (process killed, connection lost) is taken over by the next retry, which runs
 * again and is answered truthfully by the services (the original answer once applied, or applied now).
 * Failures on our side (5xx) are not stored, so they can be retried.
 */
export function idempotency(db: Knex): RequestHandler {
  const leaseUntil = () => new Date(Date.now() + LEASE_MS);
  return (async (req: Request, res: Response, next: NextFunction) => {
    const key = req.header('Idempotency-Key');
    if (!key || req.method === 'GET') return next();
    if (key.length > 200) return next(new BadRequestError('Idempotency-Key is longer than 200 characters'));
    try {
      const principal = principalKey(req);
      const fingerprint = createHash('sha256').update(`${req.method} ${req.originalUrl}\n${JSON.stringify(req.body ?? null)}`).digest('hex');
      const row = db('idempotency_keys').where({ key, principal });
      const inserted = await db('idempotency_keys').insert({ key, principal, request: fingerprint, lease_until: leaseUntil() })
        .onConflict(['principal', 'key']).ignore().returning('key');
      if (inserted.length === 0) {
        const stored = await row.clone().first();
        if (!stored) return next(new ConflictError('the first request with this Idempotency-Key is still running; retry shortly'));
        if (stored.request !== fingerprint) {
          return next(new ValidationError('this Idempotency-Key was used for another request',
            [{ path: 'header.Idempotency-Key', message: 'use a new key for a new request' }]));
        }
        if (stored.status_code !== null) {
          res.setHeader('Idempotent-Replayed', 'true');
          return res.status(stored.status_code).json(stored.body);
        }
        // still running, unless its lease ran out: then the request died and this retry takes the key over
        const taken = await row.clone().whereNull('status_code')
          .andWhere((q) => { void q.whereNull('lease_until').orWhere('lease_until', '<', new Date()); })
          .update({ lease_until: leaseUntil() }).returning('key');
        if (taken.length === 0) {
          res.setHeader('Retry-After', String(Math.ceil(LEASE_MS / 1000)));
          return next(new ConflictError('the first request with this Idempotency-Key is still running; retry shortly'));
        }
      }
      const renew = setInterval(() => {
        row.clone().whereNull('status_code').update({ lease_until: leaseUntil() }).catch(() => undefined);
      }, LEASE_MS / 3);
      renew.unref();
      res.once('close', () => clearInterval(renew));
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        clearInterval(renew);
        const save = res.statusCode >= 500
          ? row.clone().delete()
          : row.clone().update({ status_code: res.statusCode, body: JSON.stringify(body), lease_until: null });
        // the request's own answer goes out even when it cannot be kept (the database gone meanwhile): its lease runs
        // out, and a retry runs again and is answered truthfully by the services
        save.then(() => json(body), () => json(body));
        return res;
      };
      next();
    } catch (err) {
      next(err);
    }
  }) as RequestHandler;
}
