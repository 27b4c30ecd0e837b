import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { BadRequestError, ConflictError, ValidationError } from './errors';

function principalKey(req: Request): string {
  const p = req.principal;
  if (!p) return 'anonymous';
  return p.kind === 'officer' ? p.username : `applicant:${p.dossierCode}`;
}

/**
 * `Idempotency-Key` on a write: the first request's answer is stored and replayed for every retry with
 * the same key, without a second effect. A key reused for another request is refused (422); a retry
 * while the first is still running gets 409. Failures on our side (5xx) are not stored, so they can be retried.
 */
export function idempotency(db: Knex): RequestHandler {
  return (async (req: Request, res: Response, next: NextFunction) => {
    const key = req.header('Idempotency-Key');
    if (!key || req.method === 'GET') return next();
    if (key.length > 200) return next(new BadRequestError('Idempotency-Key is longer than 200 characters'));
    const principal = principalKey(req);
    const fingerprint = createHash('sha256').update(`${req.method} ${req.originalUrl}\n${JSON.stringify(req.body ?? null)}`).digest('hex');
    const inserted = await db('idempotency_keys').insert({ key, principal, request: fingerprint })
      .onConflict(['principal', 'key']).ignore().returning('key');
    if (inserted.length === 0) {
      const stored = await db('idempotency_keys').where({ key, principal }).first();
      if (stored.request !== fingerprint) {
        return next(new ValidationError('this Idempotency-Key was used for another request',
          [{ path: 'header.Idempotency-Key', message: 'use a new key for a new request' }]));
      }
      if (stored.status_code === null) return next(new ConflictError('the first request with this Idempotency-Key is still running'));
      res.setHeader('Idempotent-Replayed', 'true');
      return res.status(stored.status_code).json(stored.body);
    }
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      const save = res.statusCode >= 500
        ? db('idempotency_keys').where({ key, principal }).delete()
        : db('idempotency_keys').where({ key, principal }).update({ status_code: res.statusCode, body: JSON.stringify(body) });
      save.then(() => json(body), (err: unknown) => next(err));
      return res;
    };
    next();
  }) as RequestHandler;
}
