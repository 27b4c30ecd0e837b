/**
 * `npm start`: the whole platform on the embedded default (or external services when DATABASE_URL /
 * TEMPORAL_ADDRESS are set), running until Ctrl-C. Data stays in DATA_DIR (.data/) across restarts.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ConfigError, describeConfig, loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { startPlatform, type Platform } from './platform';
import { StartupError } from '../lib/processes';

/** What a failed start prints: what failed and what to do, never a bare `undefined`. */
function describeFailure(err: unknown): string {
  if (err instanceof StartupError || err instanceof ConfigError) return `npm start failed: ${err.message}`;
  const what = err instanceof Error ? (err.stack ?? err.message) : `${String(err)} (no error was given)`;
  return `npm start failed: ${what}\n  what to do: LOG_LEVEL=debug npm start shows every step and the output of PostgreSQL ` +
    'and Temporal; if the cause is not there, report this message';
}

/**
 * @temporalio/client retries a failed call on a timer that closing the connection does not clear; a
 * retry firing after we closed it throws this from the timer. Expected while stopping, harmless.
 */
const isClosedChannel = (err: unknown) => err instanceof Error && err.message === 'Channel has been shut down';

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(`npm start: runs the platform. Environment variables:\n${describeConfig()}`);
    return;
  }
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'platform', config.logFormat);
  // we stop the worker ourselves, in order, on Ctrl-C
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger(config.logLevel === 'debug' ? 'DEBUG' : 'WARN') });

  let platform: Platform | undefined = undefined;
  let stopping: Promise<void> | undefined;
  const stopAndExit = (code: number) => {
    stopping ??= (platform?.stop() ?? Promise.resolve()).then(() => process.exit(code), (err) => {
      log.error({ err }, 'stop failed');
      process.exit(1);
    });
  };
  let signalled = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (!platform) {
        // still starting: stop as soon as the start is done (a second Ctrl-C ends at once; the servers
        // left behind are stopped by the next start)
        if (signalled) process.exit(130);
        signalled = true;
        log.info({ signal }, 'stopping once the start is done (Ctrl-C again to stop at once)');
        return;
      }
      log.info({ signal }, 'stopping');
      stopAndExit(0);
    });
  }
  process.on('uncaughtException', (err) => {
    if (stopping && isClosedChannel(err)) return;
    console.error(describeFailure(err));
    stopAndExit(1);
  });

  platform = await startPlatform(config, { log });
  if (signalled) {
    stopAndExit(0);
    return;
  }
  const banner = [
    '',
    'Một cửa platform is running:',
    `  API             ${platform.apiUrl}/api`,
    `  API docs        ${platform.apiUrl}/api/docs`,
    `  Temporal UI     ${platform.uiUrl ?? '(external Temporal: use its own UI)'}`,
    `  Temporal        ${platform.temporalAddress} (namespace ${config.temporal.namespace})`,
    `  PostgreSQL      ${platform.databaseUrl.replace(/\/\/[^@]*@/, '//')}${platform.databaseDir ? ` (data in ${platform.databaseDir})` : ''}`,
    `  Email           ${platform.delivery.mail.includes('://') ? platform.delivery.mail.replace(/\/\/[^@]*@/, '//') : `kept as .eml files in ${platform.delivery.mail}`}`,
    `  Portal sync     ${platform.delivery.portalUrl}`,
    `  Demo accounts   see README.md (password in seeds/demo-accounts.json)`,
    'Press Ctrl-C to stop; data is kept in ' + config.dataDir,
    '',
  ];
  console.log(banner.join('\n'));
}

main().catch((err) => {
  console.error(describeFailure(err));
  process.exit(1);
});
