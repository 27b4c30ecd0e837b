/**
 * The real `npm start` (scripts/start.ts in a child process) on the embedded default, with its own
 * PostgreSQL and Temporal dev server keeping state on disk: Ctrl-C in the middle of a dossier, start
 * again, and the dossier carries on where it was.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../lib/temporal-cli';
import { DEMO_PASSWORD } from '../support/env';
import { birthRegistration } from '../support/factories';
import { httpClient } from '../support/http';
import { inboxTask } from '../support/tasks';

const root = join(__dirname, '..', '..');
let dataDir: string;
let child: ChildProcess | undefined;
let output = '';

beforeAll(() => { dataDir = mkdtempSync(join(process.env.TEST_RUN_DIR ?? '/tmp', 'platform-')); });
afterAll(async () => {
  if (child && child.exitCode === null) await stop(child);
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(env: Record<string, string>): Promise<ChildProcess> {
  // what `npm start` runs
  const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'start.ts')], {
    cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  output = '';
  proc.stdout!.on('data', (d) => { output += d; });
  proc.stderr!.on('data', (d) => { output += d; });
  const deadline = Date.now() + 90_000;
  while (!output.includes('Press Ctrl-C to stop')) {
    if (proc.exitCode !== null) throw new Error(`npm start exited with ${proc.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up in 90 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return proc;
}

async function stop(proc: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  proc.kill('SIGINT');
  return exited;
}

test('npm start stops on Ctrl-C in the middle of a dossier and carries on after a restart', async () => {
  const apiPort = await freePort();
  const env = {
    DATA_DIR: dataDir, API_PORT: String(apiPort), EMBEDDED_PG_PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()), TEMPORAL_UI_PORT: String(await freePort()), LOG_LEVEL: 'warn',
    DATABASE_URL: '', TEMPORAL_ADDRESS: '',
  };
  child = await start(env);
  expect(output).toContain(`http://localhost:${apiPort}/api/docs`);
  let http = httpClient(`http://127.0.0.1:${apiPort}`);
  const submitted = await http.post('/api/dossiers', birthRegistration());
  expect(submitted.status).toBe(201);
  const { code } = submitted.body;
  const lan = await http.login('lan.motcua-mybinh', DEMO_PASSWORD);
  const reception = await inboxTask(http, lan, code);
  expect((await http.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: 'ok' }, lan)).body.dossier.status).toBe(4);

  // a designer publishes version 2 with the CLI while the dossier runs on version 1
  const v2 = JSON.parse(readFileSync(join(root, 'procedures', '1.001193-dang-ky-khai-sinh.json'), 'utf8'));
  v2.version = 2;
  v2.steps.find((step: { id: string }) => step.id === 'sign').name = 'Ký và đóng dấu Giấy khai sinh';
  const v2File = join(dataDir, 'birth-v2.json');
  writeFileSync(v2File, JSON.stringify(v2));
  const cli = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'procedure-cli.ts'), 'publish', v2File,
    '--api', `http://127.0.0.1:${apiPort}`, '--user', 'thietke.lanhdao-mybinh', '--password', DEMO_PASSWORD], { cwd: root, encoding: 'utf8' });
  expect(cli.stdout).toMatch(/1\.001193 v2 is live/);
  expect(cli.status).toBe(0);
  expect((await http.get('/api/procedures/1.001193')).body.version).toBe(2);
  expect(await stop(child)).toBe(0);

  child = await start(env);
  http = httpClient(`http://127.0.0.1:${apiPort}`);
  expect((await http.get('/api/procedures/1.001193')).body.version).toBe(2);
  const binh = await http.login('binh.tuphap-mybinh', DEMO_PASSWORD);
  const review = await inboxTask(http, binh, code);
  expect(review).toBeDefined();
  const reviewed = await http.post(`/api/tasks/${review.id}/complete`, { outcome: 'approve', data: { documentsComplete: true } }, binh);
  expect(reviewed.status).toBe(200);
  const cuong = await http.login('cuong.lanhdao-mybinh', DEMO_PASSWORD);
  const sign = await inboxTask(http, cuong, code);
  const signed = await http.post(`/api/tasks/${sign.id}/complete`, { outcome: 'approve' }, cuong);
  expect(signed.body.dossier.status).toBe(10);
  expect(sign.stepName).toBe('Ký Giấy khai sinh');
  const view = await http.get(`/api/dossiers/${code}`, lan);
  expect(view.body.procedure).toMatchObject({ code: '1.001193', version: 1 });
  expect(view.body.history.filter((e: any) => e.type === 'status').map((e: any) => e.toStatus)).toEqual([1, 2, 4, 9, 10]);
  expect(await stop(child)).toBe(0);
});
