/** Handles on the services global-setup started, for one test file. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { createLocalPostalService } from '../../stores/postal';
import { createApp } from '../../api/app';
import { createDb, type Knex } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createMetrics, type Metrics } from '../../lib/metrics';
import type { DocumentLimits } from '../../lib/media';
import { createFileStorage } from '../../lib/storage';
import type { DossierSettings } from '../../workflows/messages';
import { createWorker } from '../../worker';

let runtimeInstalled = false;

/** Temporal's core logs errors only, once per test file. */
export function installTestRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\` (jest's global setup sets it)`);
  return value;
}

export const JWT_SECRET = 'test-secret-test-secret-test-secret-test-secret';
export const DEMO_PASSWORD = 'demo@2026';
/** keys of the signed callbacks in tests: the payment provider's, and every partner agency's */
export const TEST_SECRETS = { paymentSecret: 'test-payment-secret-test-payment-secret', handoffSecret: 'test-handoff-secret-test-handoff-secret' };

/** Upload limits in the tests: small, so an oversize file is cheap to make. */
export const TEST_DOCUMENT_LIMITS: DocumentLimits = { maxBytes: 256 * 1024, mediaTypes: ['application/pdf', 'image/jpeg', 'image/png', 'image/tiff'] };
export const TEST_PROVINCE = 'An Giang';
export const TEST_POSTAL_SECRET = 'test-postal-secret-test-postal-secret';

/** The file store (in the run's folder), the local postal service and the province, for a test worker. */
export function testDocuments(db: Knex) {
  return { storage: createFileStorage(join(required('TEST_RUN_DIR'), 'documents')), postal: createLocalPostalService(db), provinceName: TEST_PROVINCE };
}

export interface TestEnv {
  db: Knex;
  client: Client;
  taskQueue: string;
  worker: Worker;
  apiUrl: string;
  /** one registry for the worker and the API, as under `npm start` */
  metrics: Metrics;
  stop(): Promise<void>;
}

/** A worker on its own task queue and an API on a free port, over the run's PostgreSQL and Temporal. */
export async function startTestEnv(opts: { api?: boolean; loginLimit?: number; dossierSettings?: Partial<DossierSettings>;
  temporalWaitMs?: number; workflowCacheSize?: number; } = {}): Promise<TestEnv> {
  installTestRuntime();
  const db = createDb(required('TEST_DATABASE_URL'));
  const address = required('TEST_TEMPORAL_ADDRESS');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const workerConnection = await NativeConnection.connect({ address });
  const taskQueue = `test-${randomUUID()}`;
  const metrics = createMetrics({ db });
  const integrations = { ...TEST_SECRETS, publicUrl: '', partnerSecrets: {} };
  const documents = testDocuments(db);
  let server: Server | undefined;
  let apiUrl = '';
  if (opts.api !== false) {
    const app = createApp({ db, temporal: client, taskQueue, jwtSecret: JWT_SECRET, tokenTtl: '1h',
      log: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), loginLimit: opts.loginLimit ?? 1000, metrics, integrations, dossierSettings: opts.dossierSettings,
      temporalWaitMs: opts.temporalWaitMs,
      documents: { storage: documents.storage, postal: documents.postal, limits: TEST_DOCUMENT_LIMITS, postalCallbackSecret: TEST_POSTAL_SECRET } });
    server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
    apiUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    integrations.publicUrl = apiUrl;
  }
  const worker = await createWorker({ db, connection: workerConnection, namespace: 'default', taskQueue, workflowCacheSize: opts.workflowCacheSize,
    workflowBundle: { codePath: required('TEST_WORKFLOW_BUNDLE') }, metrics, integrations, documents });
  const running = worker.run();
  return {
    db, client, taskQueue, worker, apiUrl, metrics,
    async stop() {
      if (server) await new Promise((r) => { server!.closeAllConnections(); server!.close(r); });
      // a test may have shut the worker down itself (restarts)
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await workerConnection.close();
      await connection.close();
      await db.destroy();
    },
  };
}
