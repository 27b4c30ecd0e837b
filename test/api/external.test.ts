/**
 * `npm start` against external services: with DATABASE_URL and TEMPORAL_ADDRESS set it starts no
 * database and no Temporal server of its own, and serves dossiers from the ones it is given.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../lib/temporal-cli';
import { birthRegistration } from '../support/factories';
import { httpClient } from '../support/http';

const root = join(__dirname, '..', '..');

test('npm start uses the PostgreSQL and Temporal it is pointed at', async () => {
  const apiPort = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'start.ts')], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: process.env.TEST_DATABASE_URL, TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: `external-${apiPort}`, API_PORT: String(apiPort),
      DATA_DIR: join(process.env.TEST_RUN_DIR ?? '/tmp', `external-${apiPort}`), LOG_LEVEL: 'warn' },
  });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  try {
    for (let i = 0; i < 600 && !output.includes('Press Ctrl-C'); i++) {
      if (proc.exitCode !== null) throw new Error(output);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(output).toContain('(external Temporal: use its own UI)');
    expect(output).toContain(`Temporal        ${process.env.TEST_TEMPORAL_ADDRESS}`);
    const http = httpClient(`http://127.0.0.1:${apiPort}`);
    expect((await http.get('/api/health')).body).toEqual({ status: 'ok', checks: { database: 'ok', temporal: 'ok' } });
    const submitted = await http.post('/api/dossiers', birthRegistration());
    expect(submitted.status).toBe(201);
    expect(submitted.body.status).toBe(1);
  } finally {
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
  }
});
