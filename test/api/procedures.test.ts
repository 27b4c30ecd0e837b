/** Procedure versions over real HTTP: designers only, every problem at once, immutable published versions, diagrams. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_PASSWORD, startTestEnv, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { httpClient, type HttpClient } from '../support/http';
import { completeTask, findTask, loginDemo } from '../support/tasks';

let env: TestEnv;
let http: HttpClient;
let designer: string;
let lan: string;
const sample = () => JSON.parse(readFileSync(join(__dirname, '..', '..', 'procedures', '1.001193-dang-ky-khai-sinh.json'), 'utf8'));
const code = `T.${Date.now()}`;

beforeAll(async () => {
  env = await startTestEnv();
  http = httpClient(env.apiUrl);
  [designer, lan] = await loginDemo(http, 'thietke.lanhdao-mybinh', 'lan.motcua-mybinh');
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

test('publishing a new version while a dossier of the old one runs leaves it on its own plan to the end', async () => {
  const own = `V.${Date.now()}`;
  const binh = await http.login('binh.tuphap-mybinh', DEMO_PASSWORD);
  const cuong = await http.login('cuong.lanhdao-mybinh', DEMO_PASSWORD);
  await http.post('/api/procedures', { ...sample(), code: own }, designer);
  await http.post(`/api/procedures/${own}/versions/1/publish`, {}, designer);
  const old = (await http.post('/api/dossiers', birthRegistration({ procedureCode: own }))).body.code;
  await completeTask(http, lan, old, 'receive', { outcome: 'accept', comment: 'ok' });
  await findTask(http, binh, old, 'review');

  // version 2: the specialist's approval goes straight to a notification and the return; no signature
  const v2 = { ...sample(), code: own, version: 2 };
  v2.steps[1].name = 'Thẩm định (phiên bản 2)';
  v2.steps[1].outcomes.approve = { next: 'tell' };
  v2.steps.splice(2, 1, { id: 'tell', kind: 'notify', template: 'result-ready', to: 'applicant', channels: ['in-app'], next: 'give' });
  expect((await http.post('/api/procedures', v2, designer)).status).toBe(201);
  expect((await http.post(`/api/procedures/${own}/versions/2/publish`, {}, designer)).body.state).toBe('published');

  const fresh = (await http.post('/api/dossiers', birthRegistration({ procedureCode: own }))).body.code;
  await completeTask(http, lan, fresh, 'receive', { outcome: 'accept', comment: 'ok' });
  expect((await findTask(http, binh, fresh, 'review')).stepName).toBe('Thẩm định (phiên bản 2)');
  expect((await completeTask(http, binh, fresh, 'review', { outcome: 'approve', data: { documentsComplete: true } })).dossier.status).toBe(10);

  // the running dossier still has version 1's review, then version 1's signature, and ends there
  expect((await findTask(http, binh, old, 'review')).stepName).toBe('Thẩm định, ghi Sổ hộ tịch');
  expect((await completeTask(http, binh, old, 'review', { outcome: 'approve', data: { documentsComplete: true } })).dossier.status).toBe(4);
  expect((await completeTask(http, cuong, old, 'sign', { outcome: 'approve' })).dossier.status).toBe(10);

  const rows = await env.db('dossiers').whereIn('code', [old, fresh]).orderBy('submitted_at');
  expect(rows.map((r) => [r.code, r.procedure_version, r.status])).toEqual([[old, 1, 10], [fresh, 2, 10]]);
  const steps = async (code: string) => (await env.db('dossier_events').where({ dossier_code: code, type: 'task-completed' }).orderBy('id'))
    .map((e) => e.step_id);
  expect(await steps(old)).toEqual(['receive', 'review', 'sign']);
  expect(await steps(fresh)).toEqual(['receive', 'review']);
  expect(await env.db('dossier_events').where({ dossier_code: old, type: 'notified' })).toEqual([]);
  expect(await env.db('dossier_events').where({ dossier_code: fresh, type: 'notified', step_id: 'tell' })).toHaveLength(1);
  const live = (await http.get(`/api/procedures/${own}`)).body;
  expect(live).toMatchObject({ version: 2, state: 'published' });
});

test('the database itself refuses to change a stored version or to delete a published one', async () => {
  const own = `I.${Date.now()}`;
  await http.post('/api/procedures', { ...sample(), code: own }, designer);
  const versions = () => env.db('procedure_versions').where({ code: own, version: 1 });
  await expect(versions().update({ name: 'Sửa lén' })).rejects.toThrow(`procedure ${own} version 1 is immutable`);
  await expect(versions().update({ definition: JSON.stringify({ ...sample(), code: own, name: 'Sửa lén' }) })).rejects.toThrow('is immutable');
  await http.post(`/api/procedures/${own}/versions/1/publish`, {}, designer);
  await expect(versions().update({ state: 'draft' })).rejects.toThrow('cannot become a draft again');
  await expect(versions().delete()).rejects.toThrow('cannot be deleted');
  expect((await versions().first()).name).toBe('Đăng ký khai sinh');
  // a draft may still be thrown away
  await http.post('/api/procedures', { ...sample(), code: own, version: 2 }, designer);
  expect(await env.db('procedure_versions').where({ code: own, version: 2 }).delete()).toBe(1);
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
