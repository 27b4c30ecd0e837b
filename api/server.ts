/**
 * The API's composition root. Run alone with `tsx api/server.ts` against DATABASE_URL and
 * TEMPORAL_ADDRESS, or inside `npm start`.
 */
import type { Server } from 'node:http';
import { createAdapters, type Adapters } from '../stores/adapters';
import { loadConfig, type Config } from '../lib/config';
import { createDb } from '../lib/db';
import { createLogger } from '../lib/logger';
import { connectClient } from '../lib/temporal';
import { createApp, type AppDeps } from './app';
import type { Recovery } from './services/recovery';

/** The API's dependencies from the configuration, its connections and the shared adapters. */
export function appDeps(config: Config, base: Pick<AppDeps, 'db' | 'temporal' | 'log' | 'jwtSecret' | 'metrics'>, adapters: Adapters): AppDeps {
  return {
    ...base, taskQueue: config.temporal.taskQueue, tokenTtl: config.tokenTtl,
    dossierSettings: { ...config.dossier, postalDueMs: config.postal.dueMs }, integrations: adapters.integrations,
    documents: { storage: adapters.storage, postal: adapters.postal, limits: config.documents, postalCallbackSecret: config.postal.callbackSecret },
    systemName: config.forms.systemName, publicUrl: config.api.publicUrl, publicLookupLimit: config.forms.publicLookupLimit,
  };
}

/** Listens on `port` (0 picks a free one) and resolves once it does. */
export function listen(deps: AppDeps, port: number): Promise<Server> {
  const app = createApp(deps);
  return new Promise((resolve, reject) => {
    const server = app.listen(port, '0.0.0.0', (err?: Error) => {
      if (err) return reject(err);
      // what a process that died half way left undone is finished while the API runs
      const stopRecovery = (app.locals.recovery as Recovery).start();
      server.once('close', stopRecovery);
      resolve(server);
    });
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'api', config.logFormat);
  if (!config.databaseUrl || !config.temporal.address || !config.jwtSecret) {
    throw new Error('api/server.ts alone needs DATABASE_URL, TEMPORAL_ADDRESS and JWT_SECRET; `npm start` runs everything together');
  }
  const db = createDb(config.databaseUrl);
  const temporal = await connectClient({ ...config.temporal, address: config.temporal.address });
  const server = await listen(appDeps(config, { db, temporal, log, jwtSecret: config.jwtSecret }, createAdapters(config, db)), config.api.port);
  log.info({ port: config.api.port }, 'API listening');
  const stop = () => server.close(() => { void temporal.connection.close(); void db.destroy(); });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
