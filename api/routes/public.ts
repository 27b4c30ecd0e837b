import { Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { NotFoundError, TooManyRequestsError } from '../errors';
import { queryText } from '../params';
import type { FormService } from '../services/forms';

/** One answer for unknown and malformed codes alike, so the lookup tells nothing about which codes exist. */
const NOT_FOUND = 'no dossier with this code';

/**
 * The public lookup (no sign-in): `GET /api/public/dossiers/{code}` and the page `GET /tra-cuu?code=`.
 * Both share one per-address rate limit.
 */
export function publicRouter({ forms, limitPerMinute }: { forms: FormService; limitPerMinute: number }): Router {
  const router = Router();
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: limitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? ''),
    handler: (req, res, next) => {
      if (req.path.startsWith('/api/')) return next(new TooManyRequestsError('too many lookups from this address; wait a minute'));
      res.status(429).type('html').send('<!DOCTYPE html><html lang="vi"><meta charset="utf-8"><title>Tra cứu hồ sơ</title>'
        + '<p>Quá nhiều lượt tra cứu từ địa chỉ này. Vui lòng thử lại sau một phút.</p></html>');
    },
  });

  router.get('/api/public/dossiers/:code', limiter, async (req, res) => {
    const found = await forms.publicLookup(String(req.params.code));
    if (!found) throw new NotFoundError(NOT_FOUND);
    res.set('cache-control', 'no-store').json(found);
  });

  router.get('/tra-cuu', limiter, async (req, res) => {
    const code = queryText(req, 'code')?.trim() || undefined;
    const found = code ? await forms.publicLookup(code) : undefined;
    res.status(code && !found ? 404 : 200).set('cache-control', 'no-store').type('html').send(forms.publicPage(code, found));
  });

  return router;
}
