/** Procedure versions over real HTTP: designers only, every problem at once, immutable published versions, diagrams. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_PASSWORD, startTestEnv, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { httpClient, type HttpClient } from '../support/http';

let env: TestEnv;
let http: HttpClient;
let designer: string;
let lan: string;
const sample = () => JSON.parse(readFileSync(join(__dirname, '..', '..', 'procedures', '1.001193-dang-ky-khai-sinh.json'), 'utf8'));
const code = `T.${Date.now()}`;

beforeAll(async () => {
  env = await startTestEnv();
  http = httpClient(env.apiUrl);
  designer = await http.login('thietke.lanhdao-mybinh', DEMO_PASSWORD);
  lan = await http.login('lan.motcua-mybinh', DEMO_PASSWORD);
});
afterAll(() => env?.stop());

test('only designers upload and publish', async () => {
  expect((await http.post('/api/procedures', { ...sample(), code }, lan)).status).toBe(403);
  expect((await http.post('/api/procedures', { ...sample(), code })).status).toBe(401);
});

test('a draft with mistakes gets 422 with every problem and its path; a dry run stores nothing', async () => {
  const broken = { ...sample(), code, agency: 'KHONG-CO' };
  broken.steps[1].assignee.role = 'janitor';
  const res = await http.post('/api/procedures', broken, designer);
  expect(res.status).toBe(422);
  expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['$.agency', '$.steps[1].assignee.role']);
  expect((await http.post('/api/procedures/validate', broken)).status).toBe(422);
  expect((await http.post('/api/procedures/validate', { ...sample(), code })).body).toEqual({ ok: true });
  expect((await env.db('procedure_versions').where({ code })).length).toBe(0);
});

test('upload, publish, see which is live; a published version never changes; dossiers keep their version', async () => {
  const v1 = await http.post('/api/procedures', { ...sample(), code }, designer);
  expect(v1.status).toBe(201);
  expect(v1.body).toMatchObject({ code, version: 1, state: 'draft' });
  expect((await http.post('/api/procedures', { ...sample(), code }, designer)).status).toBe(200);
  expect((await http.get(`/api/procedures/${code}`)).status).toBe(404);
  expect((await http.post(`/api/procedures/${code}/versions/1/publish`, {}, designer)).body.state).toBe('published');
  const dossier = await http.post('/api/dossiers', birthRegistration({ procedureCode: code }));
  expect(dossier.status).toBe(201);

  const changed = { ...sample(), code, name: 'Đăng ký khai sinh (sửa)' };
  const clash = await http.post('/api/procedures', changed, designer);
  expect(clash.status).toBe(409);
  expect(clash.body.error.code).toBe('VersionExistsError');
  expect((await http.post('/api/procedures', { ...changed, version: 2 }, designer)).status).toBe(201);
  await http.post(`/api/procedures/${code}/versions/2/publish`, {}, designer);
  const list = (await http.get('/api/procedures')).body.items.filter((v: { code: string }) => v.code === code);
  expect(list.map((v: { version: number; state: string }) => [v.version, v.state])).toEqual([[1, 'superseded'], [2, 'published']]);
  expect((await http.get(`/api/procedures/${code}`)).body).toMatchObject({ version: 2, name: 'Đăng ký khai sinh (sửa)' });
  expect((await http.get(`/api/procedures/${code}/versions/1`)).body.definition.name).toBe('Đăng ký khai sinh');
  const running = await env.db('dossiers').where({ code: dossier.body.code }).first();
  expect(running.procedure_version).toBe(1);
  const input = (await env.client.workflow.getHandle(dossier.body.code).fetchHistory()).events?.[0]
    .workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  expect(JSON.parse(Buffer.from(input as Uint8Array).toString()).plan.version).toBe(1);
  expect((await http.post('/api/procedures', { ...changed, version: 1 }, designer)).status).toBe(409);
});

test('a diagram of each version is served as SVG', async () => {
  const res = await fetch(`${env.apiUrl}/api/procedures/${code}/versions/1/diagram`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('image/svg+xml');
  const svg = await res.text();
  for (const text of ['Tiếp nhận, kiểm tra hồ sơ', 'Thẩm định, ghi Sổ hộ tịch', 'TU&#45;PHAP / specialist', 'rework']) expect(svg).toContain(text);
});

test('the JSON Schema is published at a stable URL', async () => {
  const res = await fetch(`${env.apiUrl}/api/schemas/procedure.schema.json`);
  expect(res.headers.get('content-type')).toContain('application/schema+json');
  expect(((await res.json()) as { $id: string }).$id).toBe('https://onestop.local/schemas/procedure.schema.json');
});
