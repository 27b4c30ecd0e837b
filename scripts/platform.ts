import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { basename, join } from 'node:path';
import { appDeps, listen } from '../api/server';
import { publishSamples, readSeed, seedAccounts, seedRegistry, type DemoAccounts, type OrgRegistry } from './seed';
import { createCalendarStore } from '../stores/calendar-store';
import { SEARCH_ATTRIBUTE_TYPES } from '../domain/search-attributes';
import { createWorker, superviseWorker, workerAdapters } from '../worker';
import type { Config } from '../lib/config';
import { createDb, migrateLatest, type Knex } from '../lib/db';
import { createAdapters } from '../stores/adapters';
import { ensureReconciliationSchedule } from '../lib/schedules/reconciliation';
import { startDispatchers } from '../stores/outbox-dispatchers';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../lib/embedded-postgres';
import { commandLine, ensurePortFree, readPidFile, removePidFile, StartupError, writePidFile } from '../lib/processes';
import type { Logger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { ensureLateListSchedule } from '../lib/schedules/late-list';
import { connectClient, connectWorker, ensureSearchAttributes } from '../lib/temporal';
import { resolveTemporalCli, startDevServer, type DevServerHandle } from '../lib/temporal-cli';

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
  /** where the embedded PostgreSQL keeps its data (undefined with DATABASE_URL) */
  databaseDir?: string;
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
 * Claims `dataDir` for this process (DATA_DIR/platform.pid): a platform already running on it is an
 * error; one that crashed left a pid naming nothing, or another program, and is taken over.
 */
function claimDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'platform.pid');
  const pid = readPidFile(file);
  const args = pid !== undefined && pid !== process.pid ? commandLine(pid) : undefined;
  if (pid !== undefined && args && basename(args[0]).startsWith('node')) {
    throw new StartupError(`the platform already runs with the data in ${dataDir} (process ${pid}: ${args.join(' ')})`,
      `stop it first (Ctrl-C where it runs, or \`kill ${pid}\`), or give this one its own DATA_DIR and ports`);
  }
  writePidFile(file, process.pid);
  return () => removePidFile(file, process.pid);
}

/** Throws a {@link StartupError} when the API cannot listen on `port`. */
function listenError(err: unknown, port: number): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== 'EADDRINUSE' && code !== 'EACCES') return err;
  return new StartupError(`the API cannot listen on port ${port} (API_PORT): ${code === 'EACCES' ? 'not allowed' : 'another program holds it'}`,
    `stop that program, or set API_PORT to a free port${code === 'EACCES' ? ' above 1023' : ''}`, { cause: err });
}

/**
 * Starts the whole platform: database (embedded unless DATABASE_URL), migrations, Temporal (dev server
 * with UI unless TEMPORAL_ADDRESS), search attributes, org registry, demo accounts, sample procedures,
 * the worker and the API. `stop()` takes it all down in reverse order.
 *
 * The embedded PostgreSQL and Temporal dev server are supervised (started again when they die) and
 * reclaimed after a crash of this process (their pids are kept in DATA_DIR); the worker is built again
 * when it fails, and the dispatchers carry on once the database is back.
 *
 * @throws StartupError when something the user can fix stops the start (a port taken, a private folder…)
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
    if (!opts.ephemeral) {
      const release = claimDataDir(config.dataDir);
      stops.push(async () => release());
    }
    await ensurePortFree(config.api.port, 'the API', 'API_PORT', '0.0.0.0');
    let databaseUrl = config.databaseUrl;
    let databaseDir: string | undefined;
    if (!databaseUrl) {
      const pg: EmbeddedPostgresHandle = await startEmbeddedPostgres({
        dir: join(config.dataDir, 'pg'), port: config.embeddedPgPort, database: 'onestop', ephemeral: opts.ephemeral,
        fallbackDir: config.embeddedPgFallbackDir, portSetting: 'EMBEDDED_PG_PORT', log,
      });
      stops.push(() => pg.stop());
      databaseUrl = pg.url;
      databaseDir = pg.dataDir;
      log.info({ port: config.embeddedPgPort, dataDir: pg.dataDir }, 'embedded PostgreSQL started');
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
        pidFile: opts.ephemeral ? undefined : join(config.dataDir, 'temporal.pid'),
        portSettings: { port: 'TEMPORAL_PORT', uiPort: 'TEMPORAL_UI_PORT' },
        searchAttributes: SEARCH_ATTRIBUTE_TYPES, log,
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
    // bundled once: a worker built again after an outage starts at once
    const workflowBundle = opts.workflowBundle
      ?? { code: (await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: bundlerLog(log) })).code };
    const worker = await superviseWorker(() => createWorker({ db, connection, namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue, workflowBundle, metrics, ...workerAdapters(config, adapters) }), log);
    stops.push(() => worker.stop());

    await ensureReconciliationSchedule(temporal, { taskQueue: config.temporal.taskQueue, cron: config.integrations.reconciliationCron });
    const server: Server = await listen(appDeps(config, { db, temporal, log, jwtSecret: jwtSecret(config), metrics }, adapters), config.api.port)
      .catch((err: unknown) => { throw listenError(err, config.api.port); });
    stops.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
    const port = (server.address() as { port: number }).port;
    const dispatchers = await startDispatchers(config, { db, log, apiUrl: `http://127.0.0.1:${port}` });
    stops.push(() => dispatchers.stop());
    log.info({ mail: dispatchers.mail, portal: dispatchers.portalUrl }, 'notification and portal sync dispatchers started');
    return { apiUrl: `http://localhost:${port}`, uiUrl, databaseUrl, databaseDir, temporalAddress, db, temporal, stop,
      delivery: { mail: dispatchers.mail, portalUrl: dispatchers.portalUrl } };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The workflow bundler's messages: warnings and errors only, into the platform's log. */
function bundlerLog(log: Logger) {
  const quiet = () => undefined;
  return { log: quiet, trace: quiet, debug: quiet, info: quiet,
    warn: (message: string) => log.warn({ component: 'bundler' }, message), error: (message: string) => log.error({ component: 'bundler' }, message) };
}
