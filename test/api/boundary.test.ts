/**
 * The input boundary over real HTTP with real PostgreSQL and Temporal: each request issue 10 saw answered
 * 500 (or left a dossier wedged) now gets its 4xx, and nothing behind the boundary moves.
 */
import { randomUUID } from 'node:crypto';
import { publishSamples } from '../../scripts/seed';
import { signBody, SIGNATURE_HEADER } from '../../lib/integrations';
import { startTestEnv, TEST_SECRETS, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { httpClient, type HttpClient } from '../support/http';
import { rawClient, type RawClient } from '../support/raw-http';
import { completeTask, eventually, findTask, loginDemo } from '../support/tasks';

let env: TestEnv;
let http: HttpClient;
let raw: RawClient;
let lan: string;

beforeAll(async () => {
  env = await startTestEnv();
  await publishSamples(env.db);
  http = httpClient(env.apiUrl);
  raw = rawClient(env.apiUrl);
  [lan] = await loginDemo(http, 'lan.motcua-mybinh');
});
afterAll(async () => {
  raw?.close();
  await env?.stop();
});

async function submitted(): Promise<{ code: string; applicantToken: string }> {
  const res = await http.post('/api/dossiers', birthRegistration());
  expect(res.status).toBe(201);
  return res.body;
}

const callbackRows = async () => Number((await env.db('callback_log').count({ n: '*' }))[0].n);
const dossierRows = async () => Number((await env.db('dossiers').count({ n: '*' }))[0].n);

test('broken percent-encoding in a path parameter is 400, whatever the route', async () => {
  const { code } = await submitted();
  for (const path of ['/api/public/dossiers/%zz', '/pay/%', '/api/dossiers/%E0%A4%A', '/api/tasks/%C0%80', '/api/procedures/%ED%A0%80',
    `/api/dossiers/${code}/forms/%zz`, '/api/accounts/%C0%80/roles', '/tra-cuu/%']) {
    const res = await raw.get(path, lan);
    expect({ path, status: res.status }).toEqual({ path, status: 400 });
    expect(res.body.error).toMatchObject({ code: 'BadRequestError', details: [expect.objectContaining({ path: 'path' })] });
  }
  // the same bytes unencoded on the wire: not UTF-8 either
  expect((await raw.get('/api/public/dossiers/\u00c0\u0080')).status).toBe(400);
});

test('a NUL in a path or a query is 422 naming where', async () => {
  const inPath = await raw.get('/api/dossiers/abc%00def', lan);
  expect(inPath.status).toBe(422);
  expect(inPath.body.error.details).toEqual([{ path: 'path', message: expect.stringContaining('U+0000') }]);
  const inQuery = await raw.get('/api/tasks?procedure=a%00b', lan);
  expect(inQuery.status).toBe(422);
  expect(inQuery.body.error.details).toEqual([{ path: 'query.procedure', message: expect.stringContaining('U+0000') }]);
});

test('a NUL in the body of a signed callback is refused before it is logged', async () => {
  const before = await callbackRows();
  const callback = JSON.stringify({ provider: 'local', reference: 'REF\u0000X', transactionId: `T-${randomUUID()}`, amount: 1000,
    paidAt: new Date().toISOString(), status: 'paid' });
  const signed = (body: string | Buffer) => ({ [SIGNATURE_HEADER]: signBody(TEST_SECRETS.paymentSecret, body) });
  const escaped = await raw.post('/api/payments/callback', callback, undefined, signed(callback));
  expect(escaped.status).toBe(422);
  expect(escaped.body.error.details).toEqual([{ path: '$.reference', message: expect.stringContaining('U+0000') }]);
  const rawNul = Buffer.from(callback.replace('\\u0000', '\u0000'));
  expect((await raw.post('/api/payments/callback', rawNul, undefined, signed(rawNul))).status).toBe(400);
  expect((await raw.post('/api/payments/callback', rawNul)).status).toBe(400);

  const answer = JSON.stringify({ outcome: 'refused', reason: 'Thiếu\u0000giấy tờ' });
  const handoff = await raw.post(`/api/handoffs/${randomUUID()}/result`, answer, undefined,
    { [SIGNATURE_HEADER]: signBody(TEST_SECRETS.handoffSecret, answer) });
  expect(handoff.status).toBe(422);
  expect(handoff.body.error.details).toEqual([{ path: '$.reason', message: expect.stringContaining('U+0000') }]);
  expect((await raw.post(`/api/handoffs/${randomUUID()}/result`, Buffer.from('{"outcome":"done\u0000"}'))).status).toBe(400);
  expect(await callbackRows()).toBe(before);
});

test('a NUL in a withdrawal reason is refused up front; the dossier stays withdrawable', async () => {
  const { code, applicantToken } = await submitted();
  const nul = await http.post(`/api/dossiers/${code}/withdraw`, { reason: 'Rút hồ sơ\u0000để nộp lại' }, applicantToken);
  expect(nul.status).toBe(422);
  expect(nul.body.error.details).toEqual([{ path: '$.reason', message: expect.stringContaining('U+0000') }]);
  const lone = await http.post(`/api/dossiers/${code}/withdraw`, { reason: 'Rút hồ sơ \ud800' }, applicantToken);
  expect(lone.status).toBe(422);
  expect(lone.body.error.details).toEqual([{ path: '$.reason', message: expect.stringContaining('U+D800') }]);
  const clean = await http.post(`/api/dossiers/${code}/withdraw`, { reason: 'Rút hồ sơ để nộp lại' }, applicantToken);
  expect([200, 202]).toContain(clean.status);
  await eventually(async () => (await env.db('dossiers').where({ code }).first()).status === 7, 'the dossier withdrawn');
}, 60_000);

test('a NUL in a completion comment is refused up front; the task can still be completed', async () => {
  const { code } = await submitted();
  const task = await findTask(http, lan, code, 'receive');
  const nul = await http.post(`/api/tasks/${task.id}/complete`, { outcome: 'accept', comment: 'Đủ\u0000hồ sơ' }, lan);
  expect(nul.status).toBe(422);
  expect(nul.body.error.details).toEqual([{ path: '$.comment', message: expect.stringContaining('U+0000') }]);
  const control = await http.post(`/api/tasks/${task.id}/complete`, { outcome: 'accept', data: { 'ghi\u0001chú': 'x' } }, lan);
  expect(control.status).toBe(422);
  expect(control.body.error.details).toEqual([{ path: '$.data', message: expect.stringContaining('U+0001') }]);
  const done = await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'Đủ hồ sơ\n\tđúng mẫu' });
  expect(done.dossier).toMatchObject({ code });
  expect(await env.db('tasks').where({ id: task.id }).first()).toMatchObject({ state: 'completed', comment: 'Đủ hồ sơ\n\tđúng mẫu' });
}, 60_000);

test('a body in a charset other than UTF-8 is 415, on every JSON route', async () => {
  const latin1 = { 'content-type': 'application/json; charset=latin1' };
  for (const [path, body] of [['/api/dossiers', birthRegistration()], ['/api/auth/login', { username: 'a', password: 'b' }],
    ['/api/payments/callback', { provider: 'local' }], ['/api/procedures/validate', { code: 'x' }]] as const) {
    const res = await raw.post(path, JSON.stringify(body), undefined, latin1);
    expect({ path, status: res.status }).toEqual({ path, status: 415 });
    expect(res.body.error.code).toBe('UnsupportedMediaTypeError');
  }
  expect((await raw.post('/api/auth/login', '{}', undefined, { 'content-type': 'application/json; charset=UTF-8' })).status).toBe(422);
});

test('JSON nested 10,000 deep is 400: in an application, and as the login username', async () => {
  const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
  const before = await dossierRows();
  const application = await raw.post('/api/dossiers', JSON.stringify(birthRegistration()).replace(/"application":\{/, `"application":{"x":${deep},`));
  expect(application.status).toBe(400);
  expect(application.body.error.message).toContain('deeper than 32');
  const login = await raw.post('/api/auth/login', `{"username":${deep},"password":"x"}`);
  expect(login.status).toBe(400);
  expect(await dossierRows()).toBe(before);
});

test('numbers and dates out of range are 400 naming the parameter', async () => {
  const cases: [string, string][] = [
    ['/api/procedures/1.001193/versions/2147483648', 'path.version'],
    ['/api/procedures/1.001193/versions/2147483648/diagram', 'path.version'],
    ['/api/tasks?page=9223372036854775808', 'query.page'],
    ['/api/dossiers?page=9223372036854775808', 'query.page'],
    ['/api/dossiers?status=99999999999', 'query.status'],
    ['/api/tasks?dueBefore=-1', 'query.dueBefore'],
    ['/api/tasks?dueBefore=01', 'query.dueBefore'],
    ['/api/tasks?dueBefore=2026-02-30T00:00:00Z', 'query.dueBefore'],
    ['/api/calendar/20260', 'path.year'],
  ];
  for (const [path, where] of cases) {
    const res = await raw.get(path, lan);
    expect({ path, status: res.status }).toEqual({ path, status: 400 });
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: where })]);
  }
  expect((await raw.get(`/api/tasks?dueBefore=${encodeURIComponent('2000-01-01T00:00:00+07:00')}`, lan)).status).toBe(200);
});

test('an application of 3 MB is refused at once, stating the limit', async () => {
  const before = await dossierRows();
  const application = { note: 'x'.repeat(3 * 1024 * 1024) };
  const started = Date.now();
  const res = await http.post('/api/dossiers', birthRegistration({ application }));
  expect(Date.now() - started).toBeLessThan(1500);
  expect(res.status).toBe(422);
  expect(res.body.error.details).toEqual([{ path: '$.application', message: expect.stringContaining('the limit is 256 KB') }]);
  expect(await dossierRows()).toBe(before);
  // a body over its route's limit is 413, stating it
  const tooBig = await http.post('/api/tasks/00000000-0000-4000-8000-000000000000/complete', { outcome: 'accept', data: application }, lan);
  expect(tooBig.status).toBe(413);
  expect(tooBig.body.error.message).toContain('256 KB');
});

test('a task id of the right length that is not a UUID is 404', async () => {
  const id = 'abcdef012345abcdef012345abcdef012345';
  expect((await http.get(`/api/tasks/${id}`, lan)).status).toBe(404);
  for (const action of ['claim', 'release', 'complete']) {
    expect((await http.post(`/api/tasks/${id}/${action}`, { outcome: 'accept' }, lan)).status).toBe(404);
  }
  expect((await http.get('/api/tasks/------------------------------------', lan)).status).toBe(404);
});
