import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { Knex } from 'knex';
import { repairDossierSignal } from '../../workflows/messages';
import { requireOfficer } from '../auth';
import { ConflictError, NotFoundError } from '../errors';
import type { Recovery } from '../services/recovery';
import type { Validator } from '../validation';

const iso = (v: Date | string | null) => (v ? new Date(v).toISOString() : null);

/**
 * Dossiers whose step failed for good (retries exhausted, or an error no retry cures): ops list them and,
 * once the cause is fixed, repair them (the failed step is tried again). Cancelling a run in the
 * Temporal UI stops such a dossier instead (status 8).
 */
export function opsRouter(deps: { db: Knex; temporal: Client; validator: Validator; recovery: Recovery }): Router {
  const { db, temporal, validator } = deps;
  const router = Router();

  router.get('/ops/attention', async (req, res) => {
    requireOfficer(req, 'ops');
    const rows = await db('dossiers').whereNotNull('attention').orderBy('updated_at').limit(500)
      .select('code', 'procedure_code', 'agency_code', 'status', 'attention', 'updated_at');
    res.json({ items: rows.map((r) => ({ code: r.code, procedureCode: r.procedure_code, agency: r.agency_code, status: r.status,
      attention: r.attention, since: r.attention?.since ?? iso(r.updated_at) })) });
  });

  // the recovery sweep runs every half minute; ops may run it now
  router.post('/ops/recovery', async (req, res) => {
    requireOfficer(req, 'ops');
    res.json(await deps.recovery.sweep());
  });

  router.post('/dossiers/:code/repair', async (req, res) => {
    const officer = requireOfficer(req, 'ops');
    const body = validator.check<{ note?: string }>({ type: 'object', additionalProperties: false,
      properties: { note: { type: 'string', maxLength: 2000 } } }, req.body ?? {}, 'the repair');
    const row = await db('dossiers').where({ code: req.params.code }).first('code', 'attention');
    if (!row) throw new NotFoundError(`no dossier ${req.params.code}`);
    if (!row.attention) throw new ConflictError(`dossier ${row.code} has no failed step to repair`, 'NothingToRepairError');
    await temporal.workflow.getHandle(row.code).signal(repairDossierSignal, {
      actor: { username: officer.username, fullName: officer.fullName }, note: body.note });
    res.status(202).json({ code: row.code, repairing: row.attention });
  });

  return router;
}
