/**
 * The worker's composition root: runs the procedure interpreter and its activities.
 * Run alone with `tsx worker.ts` against DATABASE_URL and TEMPORAL_ADDRESS, or inside `npm start`.
 */
import { Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Knex } from 'knex';
import { createActivities } from './activities';
import { failureInterceptors } from './activities/failures';
import { createCalendarStore } from './stores/calendar-store';
import type { DocumentActivityDeps } from './activities/documents';
import { createAdapters, type Adapters } from './stores/adapters';
import { loadConfig, type Config } from './lib/config';
import { createDb } from './lib/db';
import type { Integrations } from './lib/integrations';
import { createLogger, type Logger } from './lib/logger';
import type { Metrics } from './lib/metrics';
import { startDispatchers } from './stores/outbox-dispatchers';
import { connectWorker, fromNewestEvent } from './lib/temporal';

export interface WorkerDeps {
  db: Knex;
  connection: WorkerOptions['connection'];
  namespace: string;
  taskQueue: string;
  /** the file store, the postal service and the province served */
  documents: Omit<DocumentActivityDeps, 'db'>;
  /** a prebuilt workflow bundle (tests); otherwise workflows/ is bundled at start */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** how many runs the worker keeps in memory (0: every workflow task replays its history, as after a restart) */
  workflowCacheSize?: number;
  /** counts failed activity attempts when given */
  metrics?: Metrics;
  /** signed HTTP to the payment provider and partner agencies */
  integrations?: Integrations;
}

/** The worker's view of the shared adapters. */
export function workerAdapters(config: Config, adapters: Adapters): Pick<WorkerDeps, 'integrations' | 'documents'> {
  return { integrations: adapters.integrations,
    documents: { storage: adapters.storage, postal: adapters.postal, provinceName: config.postal.provinceName } };
}

/** Builds the interpreter worker from its dependencies; the caller runs and shuts it down. */
export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    ...(deps.workflowCacheSize !== undefined ? { maxCachedWorkflows: deps.workflowCacheSize } : {}),
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: require.resolve('./workflows') }),
    // the metrics see failures already classified (the later interceptor runs nearer the activity)
    interceptors: { activity: [...deps.metrics?.activityInterceptors ?? [], failureInterceptors] },
    activities: createActivities({
      db: deps.db,
      calendarFor: createCalendarStore(deps.db).calendarFor,
      integrations: deps.integrations,
      onAttention: deps.metrics?.countAttention,
      // the cancel request is near the end of the history
      cancelRequestCause: (execution) => fromNewestEvent(deps.connection!.workflowService, deps.namespace, execution,
        (e) => e.workflowExecutionCancelRequestedEventAttributes?.cause?.trim() || undefined),
      ...deps.documents,
    }),
  });
}

/** A worker kept running by {@link superviseWorker}. */
export interface SupervisedWorker {
  /** shuts the running worker down (what it runs finishes first) and builds no new one */
  stop(): Promise<void>;
}

/**
 * Runs the worker that `create` builds and keeps one running: when `Worker.run()` fails (Temporal unreachable
 * for longer than the SDK waits, say) a new worker is built after a backoff (1 s, doubling up to 30 s while
 * building fails), with a log line each time. The first worker must build: its failure is thrown.
 */
export async function superviseWorker(create: () => Promise<Worker>, log: Pick<Logger, 'info' | 'warn' | 'error'>): Promise<SupervisedWorker> {
  let worker = await create();
  let stopping = false;
  let wake: (() => void) | undefined;
  const pause = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => { clearTimeout(timer); resolve(); };
  });
  const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));
  const loop = (async () => {
    let failures = 0;
    while (!stopping) {
      const startedAt = Date.now();
      try {
        await worker.run();
        if (!stopping) log.warn('the worker stopped by itself; building a new one');
      } catch (err) {
        if (!stopping) log.error({ err: describe(err) }, 'the worker failed; building a new one');
      }
      if (Date.now() - startedAt > 60_000) failures = 0;
      while (!stopping) {
        const delay = Math.min(30_000, 1_000 * 2 ** failures++);
        await pause(delay);
        if (stopping) return;
        try {
          worker = await create();
          log.info('a new worker is running');
          break;
        } catch (err) {
          log.error({ err: describe(err) }, 'a new worker could not be built yet; trying again');
        }
      }
    }
  })();
  return {
    async stop() {
      stopping = true;
      wake?.();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await loop;
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'worker', config.logFormat);
  if (!config.databaseUrl || !config.temporal.address) {
    throw new Error('worker.ts alone needs DATABASE_URL and TEMPORAL_ADDRESS; `npm start` runs everything together');
  }
  // we stop the worker ourselves on Ctrl-C, so that a stop is never taken for a failure to recover from
  Runtime.install({ shutdownSignals: [] });
  const db = createDb(config.databaseUrl);
  const connection = await connectWorker({ ...config.temporal, address: config.temporal.address });
  const adapters = createAdapters(config, db);
  const worker = await superviseWorker(() => createWorker({ db, connection, namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue, ...workerAdapters(config, adapters) }), log);
  const dispatchers = await startDispatchers(config, { db, log, apiUrl: config.api.publicUrl });
  log.info({ taskQueue: config.temporal.taskQueue, mail: dispatchers.mail, portal: dispatchers.portalUrl }, 'worker running');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await worker.stop();
  await dispatchers.stop();
  await connection.close();
  await db.destroy();
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
