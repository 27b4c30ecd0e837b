import { ConfigError, describeConfig, loadConfig } from '../../lib/config';

test('defaults give the embedded platform on the standard ports', () => {
  const config = loadConfig({});
  expect(config).toMatchObject({ databaseUrl: undefined, embeddedPgPort: 54329, api: { port: 3000, publicUrl: 'http://localhost:3000' },
    temporal: { address: undefined, namespace: 'default', port: 7233, uiPort: 8233, taskQueue: 'dossiers' }, tokenTtl: '8h' });
  expect(config.dossier).toEqual({ stepWarningLeadMs: 2 * 3600_000, apologyLeadMs: 4 * 3600_000 });
});

test('external services are chosen by DATABASE_URL, TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE', () => {
  const config = loadConfig({ DATABASE_URL: 'postgres://db/x', TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'tinh-an-giang' });
  expect(config.databaseUrl).toBe('postgres://db/x');
  expect(config.temporal).toMatchObject({ address: 'temporal:7233', namespace: 'tinh-an-giang' });
});

test('every invalid variable is named with what is wrong, at once', () => {
  let error: unknown;
  try {
    loadConfig({ API_PORT: 'three thousand', TEMPORAL_UI_PORT: '99999', LOG_LEVEL: 'loud', JWT_SECRET: 'short' });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const problems = (error as ConfigError).problems.join('\n');
  for (const name of ['API_PORT="three thousand"', 'TEMPORAL_UI_PORT="99999"', 'LOG_LEVEL="loud"', 'JWT_SECRET="short"']) {
    expect(problems).toContain(name);
  }
});

test('every variable is described', () => {
  expect(describeConfig()).toMatch(/^DATABASE_URL {2}PostgreSQL connection URL/m);
  expect(describeConfig().split('\n').every((line) => / {2}\S/.test(line))).toBe(true);
});
