import type { Client } from '@temporalio/client';
import express from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Knex } from 'knex';
import swaggerUi from 'swagger-ui-express';
import procedureSchema from '../procedures/schema/procedure.schema.json';
import type { Integrations } from '../lib/integrations';
import type { Logger } from '../lib/logger';
import { createMetrics, type Metrics } from '../lib/metrics';
import { createCalendarStore } from '../stores/calendar-store';
import { createTemplateRenderer } from '../stores/notifications-templates';
import { createAuth, requireOfficer } from './auth';
import { inputBoundary } from './boundary';
import { NotFoundError, TooManyRequestsError, UnauthorizedError, errorHandler } from './errors';
import { idempotency, requestKeyOf } from './idempotency';
import { openApiDocument } from './openapi';
import { intParam, pageOf, queryBool, queryEnum, queryInstant, queryInt, queryText } from './params';
import { adminRouter } from './routes/admin';
import { calendarRouter } from './routes/calendar';
import { reportsRouter } from './routes/reports';
import { handoffsRouter } from './routes/handoffs';
import { healthRouter } from './routes/health';
import { paymentsRouter } from './routes/payments';
import { notificationsRouter } from './routes/notifications';
import { syncRouter } from './routes/sync';
import { opsRouter } from './routes/ops';
import { createRecovery } from './services/recovery';
import { documentsRouter } from './routes/documents';
import { formsRouter } from './routes/forms';
import { publicRouter } from './routes/public';
import { renderDiagram } from './services/diagram';
import { createDocumentService, type DocumentServiceDeps } from './services/documents';
import { createDossierService } from './services/dossiers';
import { createPaymentService } from './services/payments';
import { createFormService } from './services/forms';
import { compileOrThrow, createProcedureService } from './services/procedures';
import { createReportService } from './services/reports';
import { createTaskService } from './services/tasks';
import { Validator } from './validation';
import type { DossierSettings } from '../workflows/messages';
import { DEFAULT_SYSTEM_NAME } from '../lib/config';

export interface AppDeps {
  db: Knex;
  temporal: Client;
  taskQueue: string;
  jwtSecret: string;
  tokenTtl: string;
  log: Logger;
  /** login attempts per account name and address per 15 minutes */
  loginLimit?: number;
  /** lead times and limits handed to each new dossier's run */
  dossierSettings?: Partial<DossierSettings>;
  /** the process's Prometheus metrics (shared with the worker under `npm start`); the app makes its own otherwise */
  metrics?: Metrics;
  /** keys of the payment provider's and partners' signed callbacks; without them those callbacks answer 503 */
  integrations?: Integrations;
  /** the file store, the postal service and the upload limits */
  documents: Pick<DocumentServiceDeps, 'storage' | 'postal' | 'limits' | 'postalCallbackSecret'>;
  /** the information system's name on forms and QR codes */
  systemName?: string;
  /** the base URL the API is reached at (the public lookup's QR links there) */
  publicUrl?: string;
  /** public lookups per address per minute */
  publicLookupLimit?: number;
  /** how long a request waits for Temporal (a dossier's answer) before it is answered 503, to be retried with its key */
  temporalWaitMs?: number;
}

/** How long a request waits for Temporal by default. */
const TEMPORAL_WAIT_MS = 30_000;

/** The HTTP API, built from its dependencies; the caller listens. */
export function createApp(deps: AppDeps): express.Express {
  const { db, temporal, log } = deps;
  const validator = new Validator();
  const auth = createAuth(deps);
  const procedures = createProcedureService(db);
  const calendar = createCalendarStore(db);
  const documents = createDocumentService({ db, temporal, validator, ...deps.documents });
  const dossiers = createDossierService({ db, temporal, taskQueue: deps.taskQueue, procedures, validator, settings: deps.dossierSettings,
    documents });
  const metrics = deps.metrics ?? createMetrics({ db });
  const tasks = createTaskService({ db, temporal, validator, onCompleted: metrics.observeTaskCompletion });
  const payments = createPaymentService({ db, temporal, taskQueue: deps.taskQueue, log, validator, paymentSecret: deps.integrations?.paymentSecret });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // first on every request: what no route should see is refused here; the body is read once, raw bytes kept
  app.use(inputBoundary({ validator, document: openApiDocument }));
  // every call to Temporal a request makes ends by this deadline: a dossier that cannot answer (a worker gone, a step
  // waiting for ops) gives 503 and a retry with the same Idempotency-Key later, never a request that hangs
  app.use((_req, res, next) => {
    void temporal.withDeadline(Date.now() + (deps.temporalWaitMs ?? TEMPORAL_WAIT_MS), () => new Promise<void>((resolve) => {
      res.once('close', resolve);
      next();
    }));
  });
  // signed callbacks are checked over the raw body and authenticated by their signature, so these come before the sign-in
  app.use(paymentsRouter({ db, payments, paymentSecret: deps.integrations?.paymentSecret, authenticate: auth.authenticate }));
  app.use(handoffsRouter({ db, temporal, log, validator, integrations: deps.integrations }));
  app.use(auth.authenticate);
  app.use(idempotency(db));

  app.use('/api', healthRouter({ db, temporal }));
  app.get('/metrics', async (_req, res) => { res.type(metrics.registry.contentType).send(await metrics.registry.metrics()); });
  app.get('/api/openapi.json', (_req, res) => { res.json(openApiDocument); });
  app.use('/api/docs', swaggerUi.serve, swaggerUi.setup(openApiDocument));
  app.get('/api/schemas/procedure.schema.json', (_req, res) => { res.type('application/schema+json').send(JSON.stringify(procedureSchema)); });

  const loginLimiter = rateLimit({
    windowMs: 15 * 60_000,
    limit: deps.loginLimit ?? 10,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? '')}|${typeof req.body?.username === 'string' ? req.body.username.slice(0, 100) : ''}`,
    handler: (_req, _res, next) => next(new TooManyRequestsError('too many login attempts; wait 15 minutes')),
  });
  app.post('/api/auth/login', loginLimiter, async (req, res) => {
    const body = validator.check<{ username: string; password: string }>({
      type: 'object', required: ['username', 'password'], additionalProperties: false,
      properties: { username: { type: 'string', minLength: 1, maxLength: 100 }, password: { type: 'string', minLength: 1, maxLength: 200 } },
    }, req.body, 'the login');
    const result = await auth.login(body.username, body.password);
    if (!result) throw new UnauthorizedError('wrong account name or password, or the account is disabled');
    res.json(result);
  });
  app.get('/api/auth/me', (req, res) => {
    if (!req.principal) throw new UnauthorizedError();
    res.json(req.principal);
  });

  app.get('/api/procedures', async (_req, res) => { res.json({ items: await procedures.list() }); });
  app.post('/api/procedures', async (req, res) => {
    const officer = requireOfficer(req, 'designer');
    const { created, ...version } = await procedures.upload(req.body, officer.username);
    res.status(created ? 201 : 200).json(version);
  });
  app.post('/api/procedures/validate', async (req, res) => {
    await compileOrThrow(db, req.body);
    res.json({ ok: true });
  });
  app.get('/api/procedures/:code', async (req, res) => {
    const live = await procedures.live(req.params.code);
    res.json({ ...live.summary, definition: live.definition });
  });
  app.get('/api/procedures/:code/versions/:version', async (req, res) => {
    const v = await procedures.version(req.params.code, intParam(req.params.version, 'version'));
    res.json({ ...v.summary, definition: v.definition, plan: v.plan });
  });
  app.get('/api/procedures/:code/versions/:version/diagram', async (req, res) => {
    const v = await procedures.version(req.params.code, intParam(req.params.version, 'version'));
    res.type('image/svg+xml').send(await renderDiagram(v.plan));
  });
  app.post('/api/procedures/:code/versions/:version/publish', async (req, res) => {
    const officer = requireOfficer(req, 'designer');
    res.json(await procedures.publish(req.params.code, intParam(req.params.version, 'version'), officer.username));
  });

  app.post('/api/dossiers', async (req, res) => {
    const result = await dossiers.submit(req.body, req.principal, requestKeyOf(req));
    res.status(201).json({ ...result, applicantToken: auth.applicantToken(result.code) });
  });
  app.get('/api/dossiers', async (req, res) => {
    res.json(await dossiers.list(req.principal, {
      status: queryInt(req, 'status', { min: 1, max: 10 }), procedure: queryText(req, 'procedure'), unit: queryText(req, 'unit'),
      overdue: queryBool(req, 'overdue'), ...pageOf(req),
    }));
  });
  app.get('/api/dossiers/:code', async (req, res) => { res.json(await dossiers.get(req.params.code, req.principal)); });
  app.post('/api/dossiers/:code/supplement', async (req, res) => {
    res.json(await dossiers.supplement(req.params.code, req.principal, req.body ?? {}));
  });
  app.post('/api/dossiers/:code/withdraw', async (req, res) => {
    const answer = await dossiers.withdraw(req.params.code, req.principal, req.body ?? {});
    res.status('withdrawal' in answer ? 202 : 200).json(answer);
  });
  app.post('/api/dossiers/:code/payments/:feeCode/confirm', async (req, res) => {
    res.json(await dossiers.confirmCounterPayment(req.params.code, req.params.feeCode, req.principal, req.body ?? {}, requestKeyOf(req)));
  });
  app.post('/api/dossiers/:code/stop', async (req, res) => {
    res.json(await dossiers.stop(req.params.code, req.principal, req.body ?? {}));
  });

  app.get('/api/tasks', async (req, res) => {
    const officer = requireOfficer(req);
    res.json(await tasks.inbox(officer, { state: queryEnum(req, 'state', ['open', 'claimed', 'completed', 'cancelled'] as const),
      procedure: queryText(req, 'procedure'), dossier: queryText(req, 'dossier'), dueBefore: queryInstant(req, 'dueBefore'), ...pageOf(req) }));
  });
  app.get('/api/tasks/:id', async (req, res) => { res.json(await tasks.get(requireOfficer(req), req.params.id)); });
  app.post('/api/tasks/:id/claim', async (req, res) => { res.json(await tasks.claim(requireOfficer(req), req.params.id)); });
  app.post('/api/tasks/:id/release', async (req, res) => { res.json(await tasks.release(requireOfficer(req), req.params.id)); });
  app.post('/api/tasks/:id/assign', async (req, res) => { res.json(await tasks.assign(requireOfficer(req), req.params.id, req.body ?? {})); });
  app.post('/api/tasks/:id/complete', async (req, res) => {
    res.json(await tasks.complete(requireOfficer(req), req.params.id, req.body, requestKeyOf(req)));
  });

  app.use('/api', adminRouter({ db, validator }));
  app.use('/api', documentsRouter({ documents }));
  app.use('/api', calendarRouter({ calendar, validator,
    agencyExists: async (code) => Boolean(await db('agencies').where({ code }).first()) }));

  app.use('/api', reportsRouter({ reports: createReportService({ db, temporal, taskQueue: deps.taskQueue,
    calendarFor: calendar.calendarFor }) }));
  app.use('/api', notificationsRouter({ db, renderer: createTemplateRenderer() }));
  app.use('/api', syncRouter({ db, validator }));
  const recovery = createRecovery({ db, temporal, dossiers, log });
  app.locals.recovery = recovery;
  app.use('/api', opsRouter({ db, temporal, validator, recovery }));
  const forms = createFormService({ db, systemName: deps.systemName ?? DEFAULT_SYSTEM_NAME, publicUrl: deps.publicUrl ?? '' });
  app.use('/api', formsRouter({ forms }));
  app.use(publicRouter({ forms, limitPerMinute: deps.publicLookupLimit ?? 30 }));

  app.use('/api', (req) => { throw new NotFoundError(`no route ${req.method} ${req.path}`); });
  app.use(errorHandler(log));
  return app;
}
