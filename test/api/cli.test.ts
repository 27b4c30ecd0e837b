/**
 * The designers' command-line tool (scripts/procedure-cli.ts), run as a child process the way the
 * README shows, against a running API over real HTTP with real PostgreSQL and Temporal.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PASSWORD, startTestEnv, type TestEnv } from '../support/env';
import { httpClient, type HttpClient } from '../support/http';

const root = join(__dirname, '..', '..');
const SAMPLE = join(root, 'procedures', '1.001193-dang-ky-khai-sinh.json');
let env: TestEnv;
let http: HttpClient;
let dir: string;

beforeAll(async () => {
  env = await startTestEnv();
  http = httpClient(env.apiUrl);
  dir = mkdtempSync(join(tmpdir(), 'procedure-cli-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await env?.stop();
});

/** Runs the CLI (asynchronously: the API answering it lives in this process). */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'procedure-cli.ts'), ...args],
      { cwd: root, env: { ...process.env, PROCEDURE_PASSWORD: '' }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }));
  });
}

function file(name: string, definition: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof definition === 'string' ? definition : JSON.stringify(definition, null, 2));
  return path;
}

const sample = () => JSON.parse(readFileSync(SAMPLE, 'utf8'));

/** The birth sample with three mistakes. */
function broken() {
  const d = sample();
  d.steps[0].next = 'nowhere';
  d.steps[1].assignee.role = 'janitor';
  d.deadline = { weeks: 1 };
  return d;
}

test('validate: every sample is fine (exit 0); a broken file prints every problem with its path (exit 1)', async () => {
  const good = await cli('validate', join(root, 'procedures', '1.009994-cap-giay-phep-xay-dung-nha-o-rieng-le.json'), SAMPLE);
  expect(good.stdout).toContain('1.009994-cap-giay-phep-xay-dung-nha-o-rieng-le.json: ok');
  expect(good.code).toBe(0);

  const bad = file('bad.json', broken());
  const result = await cli('validate', bad, SAMPLE, file('not-json.json', '{"code": '));
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(`${bad}: $.deadline: must be exactly one of`);
  expect(result.stdout).toContain(`${bad}: $.steps[0].next: "nowhere" is not a step of the same list`);
  expect(result.stdout).toContain(`${bad}: $.steps[1].assignee.role: role "janitor" does not exist`);
  expect(result.stdout).toContain('1.001193-dang-ky-khai-sinh.json: ok');
  expect(result.stdout).toMatch(/not-json\.json: \$: not valid JSON/);
});

test('validate --api checks against the running platform\'s registry', async () => {
  const d = broken();
  d.deadline = { workingDays: 1 };
  d.agency = 'UBND-KHONG-CO';
  const result = await cli('validate', file('remote.json', d), '--api', env.apiUrl);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain('remote.json: $.agency: agency "UBND-KHONG-CO" is not in the registry');
  expect((await cli('validate', SAMPLE, '--api', env.apiUrl)).code).toBe(0);
});

test('publish: logs in, uploads and publishes; the version is live', async () => {
  const code = `CLI.${Date.now()}`;
  const path = file('publish.json', { ...sample(), code });
  const result = await cli('publish', path, '--api', env.apiUrl, '--user', 'thietke.lanhdao-mybinh', '--password', DEMO_PASSWORD);
  expect(result.stderr).toBe('');
  expect(result.stdout).toMatch(new RegExp(`${code.replace('.', '\\.')} v1 is live \\(\\d+ ms\\)`));
  expect(result.code).toBe(0);
  expect((await http.get(`/api/procedures/${code}`)).body).toMatchObject({ code, version: 1, state: 'published' });

  // a changed file under the same version is refused: a published version never changes
  const changed = await cli('publish', file('changed.json', { ...sample(), code, name: 'Khác' }), '--api', env.apiUrl,
    '--user', 'thietke.lanhdao-mybinh', '--password', DEMO_PASSWORD);
  expect(changed.code).toBe(1);
  expect(changed.stdout).toContain('already exists with other content');
});

test('publish refuses a broken file with every problem, and a wrong password', async () => {
  const d = broken();
  d.deadline = { workingDays: 1 };
  d.code = `CLI.B${Date.now()}`;
  const bad = await cli('publish', file('broken.json', d), '--api', env.apiUrl, '--user', 'thietke.lanhdao-mybinh', '--password', DEMO_PASSWORD);
  expect(bad.code).toBe(1);
  expect(bad.stdout).toContain('$.steps[0].next');
  expect(bad.stdout).toContain('$.steps[1].assignee.role');
  expect((await env.db('procedure_versions').where({ code: d.code })).length).toBe(0);

  const denied = await cli('publish', SAMPLE, '--api', env.apiUrl, '--user', 'thietke.lanhdao-mybinh', '--password', 'sai-mat-khau');
  expect(denied.code).toBe(1);
  expect(denied.stderr).toContain('login failed');
  expect((await cli('publish', SAMPLE)).code).toBe(2);
});

test('diagram: the SVG on standard output, or into a file', async () => {
  const printed = await cli('diagram', join(root, 'procedures', '2.000986-lien-thong-khai-sinh-thuong-tru-bhyt.json'));
  expect(printed.code).toBe(0);
  expect(printed.stdout).toMatch(/^<\?xml|^<svg/);
  expect(printed.stdout.trimEnd().endsWith('</svg>')).toBe(true);
  for (const text of ['Chuyển Công an phường đăng ký thường trú', 'CA&#45;PHUONG&#45;MY&#45;BINH', 'Nhánh 2', 'TU&#45;PHAP / specialist',
    'hạn: 2 ngày làm việc']) {
    expect(printed.stdout).toContain(text);
  }
  const out = join(dir, 'birth.svg');
  const written = await cli('diagram', SAMPLE, '--out', out);
  expect(written.stdout).toContain(`diagram written to ${out}`);
  expect(readFileSync(out, 'utf8')).toContain('Ký Giấy khai sinh');
  expect((await cli('diagram', file('bad-diagram.json', broken()))).code).toBe(1);
  expect((await cli()).code).toBe(2);
});
