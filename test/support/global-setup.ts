/**
 * Starts what the tests need, once per run: an embedded PostgreSQL and a Temporal dev server, each on
 * a free port and with throw-away data (so a running `npm start` is never touched), migrates the
 * database, seeds the org registry and demo accounts, and bundles the workflow code once. Works from a
 * private folder too: run as root, PostgreSQL then runs from a throw-away folder of its own.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSeed, seedAccounts, seedRegistry, type DemoAccounts, type OrgRegistry } from '../../scripts/seed';
import { SEARCH_ATTRIBUTE_TYPES } from '../../domain/search-attributes';
import { createDb, migrateLatest } from '../../lib/db';
import { startEmbeddedPostgres } from '../../lib/embedded-postgres';
import { freePort, resolveTemporalCli, startDevServer } from '../../lib/temporal-cli';

const root = join(__dirname, '..', '..');

export default async function globalSetup(): Promise<void> {
  const runDir = join(root, '.test-data', `run-${process.pid}`);
  mkdirSync(runDir, { recursive: true });
  // where an `npm start` run by a test keeps PostgreSQL when its data folder is private (run as root):
  // a throw-away folder, not /var/lib/onestop, outside the project (which may itself be private)
  const pgFallbackDir = mkdtempSync(join(tmpdir(), 'onestop-test-pg-'));
  chmodSync(pgFallbackDir, 0o755);
  process.env.EMBEDDED_PG_FALLBACK_DIR = pgFallbackDir;
  const [pgPort, temporalPort] = [await freePort(), await freePort()];
  const [pg, temporal, bundle] = await Promise.all([
    startEmbeddedPostgres({ dir: join(runDir, 'pg'), port: pgPort, database: 'onestop_test', ephemeral: true }),
    startDevServer({ cli: resolveTemporalCli(process.env.TEMPORAL_CLI), port: temporalPort, namespace: 'default',
      searchAttributes: SEARCH_ATTRIBUTE_TYPES }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger }),
  ]);
  const db = createDb(pg.url);
  try {
    await migrateLatest(db);
    await seedRegistry(db, readSeed<OrgRegistry>('org-registry.json'));
    await seedAccounts(db, readSeed<DemoAccounts>('demo-accounts.json'));
  } finally {
    await db.destroy();
  }
  const bundlePath = join(runDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.TEST_DATABASE_URL = pg.url;
  process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
  process.env.TEST_RUN_DIR = runDir;
  (globalThis as Record<string, unknown>).__onestopTestServices = { pg, temporal, runDir, pgFallbackDir };
}

const quietLogger = {
  log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined,
  warn: (m: string) => console.warn(m), error: (m: string) => console.error(m),
};
