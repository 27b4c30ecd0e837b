import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { Knex } from 'knex';

/** How long each dependency may take to answer before it counts as down. */
const CHECK_TIMEOUT_MS = 1_000;

/** `check` within `ms`: 'ok', or why not (its error, or that it did not answer in time). */
async function probe(check: () => Promise<unknown>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => { timer = setTimeout(() => resolve(`no answer within ${ms} ms`), ms); });
  try {
    return await Promise.race([check().then(() => 'ok', (err: Error) => err.message || String(err)), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /api/health`: 200 when the database and Temporal both answer, else 503 with what each said. The
 * checks run side by side, each within its own short timeout, so the answer comes within about a second
 * whatever is down (a Temporal call would otherwise wait for the client's retries, 20 s and more).
 */
export function healthRouter(deps: { db: Knex; temporal: Client; timeoutMs?: number }): Router {
  const { db, temporal } = deps;
  const ms = deps.timeoutMs ?? CHECK_TIMEOUT_MS;
  const router = Router();
  router.get('/health', async (_req, res) => {
    const [database, temporalCheck] = await Promise.all([
      probe(() => db.raw('SELECT 1'), ms),
      // the deadline ends the call and its retries, not only our wait
      probe(() => temporal.connection.withDeadline(Date.now() + ms, () => temporal.connection.workflowService.getSystemInfo({})), ms),
    ]);
    const checks = { database, temporal: temporalCheck };
    const ok = database === 'ok' && temporalCheck === 'ok';
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', checks });
  });
  return router;
}
