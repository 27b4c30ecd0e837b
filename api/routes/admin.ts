import { Router } from 'express';
import type { Knex } from 'knex';
import { requireOfficer } from '../auth';
import { queryText } from '../params';
import { createAdminService } from '../services/admin';
import type { Validator } from '../validation';

/** The org registry (agencies, units, roles) and officer accounts. */
export function adminRouter(deps: { db: Knex; validator: Validator }): Router {
  const admin = createAdminService(deps);
  const router = Router();
  router.get('/agencies', async (req, res) => { requireOfficer(req); res.json(await admin.registry()); });
  router.get('/roles', async (req, res) => { requireOfficer(req); res.json((await admin.registry()).roles); });
  router.post('/agencies', async (req, res) => { res.status(201).json(await admin.upsertAgency(requireOfficer(req), req.body)); });
  router.put('/agencies/:code', async (req, res) => { res.json(await admin.upsertAgency(requireOfficer(req), req.body, req.params.code)); });
  router.post('/agencies/:code/units', async (req, res) => {
    res.status(201).json(await admin.upsertUnit(requireOfficer(req), req.params.code, req.body));
  });
  router.put('/agencies/:code/units/:unit', async (req, res) => {
    res.json(await admin.upsertUnit(requireOfficer(req), req.params.code, req.body, req.params.unit));
  });
  router.get('/accounts', async (req, res) => {
    res.json({ items: await admin.list(requireOfficer(req), { agency: queryText(req, 'agency'), unit: queryText(req, 'unit') }) });
  });
  router.post('/accounts', async (req, res) => { res.status(201).json(await admin.create(requireOfficer(req), req.body)); });
  router.get('/accounts/:username', async (req, res) => { res.json(await admin.get(requireOfficer(req), req.params.username)); });
  router.post('/accounts/:username/disable', async (req, res) => { res.json(await admin.setDisabled(requireOfficer(req), req.params.username, true)); });
  router.post('/accounts/:username/enable', async (req, res) => { res.json(await admin.setDisabled(requireOfficer(req), req.params.username, false)); });
  router.put('/accounts/:username/roles', async (req, res) => { res.json(await admin.setRoles(requireOfficer(req), req.params.username, req.body)); });
  router.post('/accounts/:username/password', async (req, res) => {
    res.json(await admin.resetPassword(requireOfficer(req), req.params.username, req.body));
  });
  return router;
}
