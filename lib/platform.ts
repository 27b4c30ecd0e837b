import type { Client } from '@temporalio/client';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { appDeps, listen } from '../api/server';
import { publishSamples, readSeed, seedAccounts, seedRegistry, type DemoAccounts, type OrgRegistry } from '../api/services/seed';
import { createCalendarStore } from '../activities/calendar-store';
import { SEARCH_ATTRIBUTE_TYPES } from '../domain/search-attributes';
import { createWorker, workerAdapters } from '../worker';
import type { Config } from './config';
import { createDb, migrateLatest, type Knex } from './db';
import { createAdapters } from './adapters';
import { ensureReconciliationSchedule } from './schedules/reconciliation';
import { startDispatchers } from './outbox-dispatchers';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres';
import type { Logger } from './logger';
import { createMetrics } from './metrics';
import { ensureLateListSchedule } from './schedules/late-list';
import { connectClient, connectWorker, ensureSearchAttributes } from './temporal';
import { resolveTemporalCli, startDevServer, type DevServerHandle } from './temporal-cli';

export interface PlatformOptions {
  log: Logger;
  /** throw the data away when stopped (tests) */
  ephemeral?: boolean;
  /** run the Temporal dev server without its Web UI */
  headless?: boolean;
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export interface Platform {
  apiUrl: string;
  uiUrl?: string;
  databaseUrl: string;
  temporalAddress: string;
  db: Knex;
  temporal: Client;
  /** where notification emails go (SMTP URL, or the local sink's folder) and where status changes are synchronized */
  delivery: { mail: string; portalUrl: string };
  stop(): Promise<void>;
}

/** The JWT secret: from the configuration, else one generated once and kept in the data folder. */
function jwtSecret(config: Config): string {
  if (config.jwtSecret) return config.jwtSecret;
  const file = join(config.dataDir, 'jwt-secret');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * Starts the whole platform: database (embedded unless DATABASE_URL), migrations, Temporal (dev server
 * with UI unless TEMPORAL_ADDRESS), search attributes, org registry, demo accounts, sample procedures,
 * the worker and the API. `stop()` takes it all down in reverse order.
 */
export async function startPlatform(config: Config, opts: PlatformOptions): Promise<Platform> {
  const { log } = opts;
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) {
      await s().catch((err: Error) => log.warn({ err: err.message }, 'while stopping'));
    }
  };
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const pg: EmbeddedPostgresHandle = await startEmbeddedPostgres({
        dir: join(config.dataDir, 'pg'), port: config.embeddedPgPort, database: 'onestop', ephemeral: opts.ephemeral,
        log: (line) => log.debug({ component: 'postgres' }, line),
      });
      stops.push(() => pg.stop());
      databaseUrl = pg.url;
      log.info({ port: config.embeddedPgPort }, 'embedded PostgreSQL started');
    }
    const db = createDb(databaseUrl);
    stops.push(() => db.destroy());
    const applied = await migrateLatest(db);
    if (applied.length) log.info({ applied }, 'migrations applied');

    let temporalAddress = config.temporal.address;
    let uiUrl: string | undefined;
    if (!temporalAddress) {
      const server: DevServerHandle = await startDevServer({
        cli: resolveTemporalCli(config.temporal.cli), port: config.temporal.port,
        uiPort: opts.headless ? undefined : config.temporal.uiPort, namespace: config.temporal.namespace,
        dbFile: opts.ephemeral ? undefined : join(config.dataDir, 'temporal.sqlite'),
        searchAttributes: SEARCH_ATTRIBUTE_TYPES, log: (line) => log.debug({ component: 'temporal' }, line),
      });
      stops.push(() => server.stop());
      temporalAddress = server.address;
      if (!opts.headless) uiUrl = `http://localhost:${config.temporal.uiPort}`;
      log.info({ address: temporalAddress }, 'Temporal dev server started');
    }
    const temporalConfig = { ...config.temporal, address: temporalAddress };
    const temporal = await connectClient(temporalConfig);
    stops.push(() => temporal.connection.close());
    await ensureSearchAttributes(temporal, config.temporal.namespace);

    await seedRegistry(db, readSeed<OrgRegistry>('org-registry.json'));
    await seedAccounts(db, readSeed<DemoAccounts>('demo-accounts.json'));
    const thisYear = new Date().getUTCFullYear();
    await createCalendarStore(db).ensureYears([thisYear, thisYear + 1]);
    const published = await publishSamples(db);
    if (published.length) log.info({ published }, 'sample procedures published');

    await ensureLateListSchedule(temporal, { taskQueue: config.temporal.taskQueue });
    const metrics = createMetrics({ db, processMetrics: true });
    const adapters = createAdapters(config, db);

    const connection = await connectWorker(temporalConfig);
    stops.push(() => connection.close());
    const worker: Worker = await createWorker({ db, connection, namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue, workflowBundle: opts.workflowBundle, metrics, ...workerAdapters(config, adapters) });
    const running = worker.run();
    stops.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });

    await ensureReconciliationSchedule(temporal, { taskQueue: config.temporal.taskQueue, cron: config.integrations.reconciliationCron });
    const server: Server = await listen(appDeps(config, { db, temporal, log, jwtSecret: jwtSecret(config), metrics }, adapters), config.api.port);
    stops.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
    const port = (server.address() as { port: number }).port;
    const dispatchers = await startDispatchers(config, { db, log, apiUrl: `http://127.0.0.1:${port}` });
    stops.push(() => dispatchers.stop());
    log.info({ mail: dispatchers.mail, portal: dispatchers.portalUrl }, 'notification and portal sync dispatchers started');
    return { apiUrl: `http://localhost:${port}`, uiUrl, databaseUrl, temporalAddress, db, temporal, stop,
      delivery: { mail: dispatchers.mail, portalUrl: dispatchers.portalUrl } };
  } catch (err) {
    await stop();
    throw err;
  }
}
