/** The task inbox and completing tasks safely, over real HTTP with real PostgreSQL and Temporal. */
import { randomBytes } from 'node:crypto';
import { publishSamples } from '../../scripts/seed';
import { hashPassword } from '../../lib/passwords';
import { DEMO_PASSWORD, startTestEnv, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { httpClient, type HttpClient } from '../support/http';
import { inboxTask, loginDemo } from '../support/tasks';

let env: TestEnv;
let http: HttpClient;
let lan: string;
let binh: string;
let cuong: string;
let lan2: { username: string; token: string };

async function officer(unit: string, slug: string, roles: string[]) {
  const username = `cb${randomBytes(4).toString('hex')}.${slug}`;
  await env.db('accounts').insert({ username, full_name: 'Cán bộ thử', agency_code: 'UBND-XA-MY-BINH', unit_code: unit,
    password_hash: await hashPassword(DEMO_PASSWORD) });
  for (const role of roles) await env.db('account_roles').insert({ username, role });
  return { username, token: await http.login(username, DEMO_PASSWORD) };
}

beforeAll(async () => {
  env = await startTestEnv();
  await publishSamples(env.db);
  http = httpClient(env.apiUrl);
  [lan, binh, cuong] = await loginDemo(http, 'lan.motcua-mybinh', 'binh.tuphap-mybinh', 'cuong.lanhdao-mybinh');
  lan2 = await officer('MOT-CUA', 'motcua-mybinh', ['one-stop-officer']);
});
afterAll(() => env?.stop());

async function submitted() {
  const res = await http.post('/api/dossiers', birthRegistration());
  expect(res.status).toBe(201);
  return res.body.code as string;
}

async function inReview() {
  const code = await submitted();
  const reception = await inboxTask(http, lan, code);
  await http.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: 'ok' }, lan);
  return { code, review: await inboxTask(http, binh, code) };
}

test('the inbox shows the tasks of the caller\'s unit and role only, filtered and paged', async () => {
  const code = await submitted();
  expect(await inboxTask(http, lan, code)).toMatchObject({ stepId: 'receive', procedureCode: '1.001193', outcomes: ['accept', 'supplement', 'refuse'] });
  expect(await inboxTask(http, binh, code)).toBeUndefined();
  expect(await inboxTask(http, cuong, code)).toBeUndefined();
  await submitted();
  const page1 = await http.get('/api/tasks?pageSize=1&page=1', lan);
  const page2 = await http.get('/api/tasks?pageSize=1&page=2', lan);
  expect(page1.body.total).toBeGreaterThanOrEqual(2);
  expect(page1.body.items).toHaveLength(1);
  expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
  expect((await http.get('/api/tasks?procedure=9.999999', lan)).body.items).toEqual([]);
  const one = (await http.get(`/api/tasks?dossier=${encodeURIComponent(code)}`, lan)).body;
  expect(one.total).toBe(1);
  expect(one.items.map((t: { dossierCode: string }) => t.dossierCode)).toEqual([code]);
  expect((await http.get('/api/tasks?state=completed&pageSize=200', lan)).body.items.every((t: { state: string }) => t.state === 'completed')).toBe(true);
  const due = (await http.get(`/api/tasks?dueBefore=${encodeURIComponent('2000-01-01T00:00:00Z')}`, lan)).body;
  expect(due.items).toEqual([]);
  expect((await http.get('/api/tasks?state=sleeping', lan)).status).toBe(400);
  expect((await http.get('/api/tasks?dueBefore=tomorrow', lan)).status).toBe(400);
  expect((await http.get('/api/tasks?pageSize=0', lan)).status).toBe(400);
  expect((await http.get('/api/tasks')).status).toBe(401);
});

test("another unit's officer gets 403; unknown and malformed ids get 404", async () => {
  const code = await submitted();
  const reception = await inboxTask(http, lan, code);
  expect((await http.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: 'x' }, binh)).status).toBe(403);
  expect((await http.post(`/api/tasks/${reception.id}/claim`, {}, binh)).status).toBe(403);
  expect((await http.post('/api/tasks/00000000-0000-4000-8000-000000000000/complete', { outcome: 'accept' }, lan)).status).toBe(404);
  expect((await http.post('/api/tasks/not-a-task/complete', { outcome: 'accept' }, lan)).status).toBe(404);
});

test('bad completions get 422 listing every problem', async () => {
  const { review } = await inReview();
  const bad = await http.post(`/api/tasks/${review.id}/complete`, { outcome: 'approve', data: { documentsComplete: 'yes', extra: 1 } }, binh);
  expect(bad.status).toBe(422);
  expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['$.data.documentsComplete', '$.data.extra']);
  const unknown = await http.post(`/api/tasks/${review.id}/complete`, { outcome: 'maybe' }, binh);
  expect(unknown.body.error.details).toEqual([{ path: '$.outcome', message: expect.stringContaining('approve, missing, ineligible') }]);
  for (const outcome of ['missing', 'ineligible']) {
    const noReason = await http.post(`/api/tasks/${review.id}/complete`, { outcome }, binh);
    expect(noReason.status).toBe(422);
    expect(noReason.body.error.details).toEqual([{ path: '$.comment', message: expect.stringContaining('reasons') }]);
  }
  const shape = await http.post(`/api/tasks/${review.id}/complete`, { result: 'approve' }, binh);
  expect(shape.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['$.outcome', '$.result']);
  const reception = (await http.get(`/api/dossiers/${review.dossierCode}`, lan)).body.tasks[0];
  expect(reception.state).toBe('completed');
});

test('a claimed task is completed by its claimer only; release and a leader\'s assignment hand it on', async () => {
  const code = await submitted();
  const reception = await inboxTask(http, lan, code);
  expect((await http.post(`/api/tasks/${reception.id}/claim`, {}, lan)).body).toMatchObject({ state: 'claimed', claimedBy: 'lan.motcua-mybinh' });
  expect((await http.post(`/api/tasks/${reception.id}/claim`, {}, lan2.token)).status).toBe(409);
  const taken = await http.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: 'ok' }, lan2.token);
  expect(taken.status).toBe(409);
  expect(taken.body.error.code).toBe('TaskClaimedError');
  expect((await http.post(`/api/tasks/${reception.id}/release`, {}, lan2.token)).status).toBe(409);
  expect((await http.post(`/api/tasks/${reception.id}/release`, {}, lan)).body.state).toBe('open');
  const leader = await officer('MOT-CUA', 'motcua-mybinh', ['leader', 'one-stop-officer']);
  expect((await http.post(`/api/tasks/${reception.id}/assign`, { username: lan2.username }, lan)).status).toBe(403);
  expect((await http.post(`/api/tasks/${reception.id}/assign`, { username: 'binh.tuphap-mybinh' }, leader.token)).status).toBe(422);
  expect((await http.post(`/api/tasks/${reception.id}/assign`, { username: lan2.username }, leader.token)).body)
    .toMatchObject({ state: 'claimed', claimedBy: lan2.username });
  const done = await http.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: 'ok' }, lan2.token);
  expect(done.status).toBe(200);
  const history = (await http.get(`/api/dossiers/${code}`, lan)).body.history;
  expect(history.filter((e: { type: string }) => ['task-claimed', 'task-released', 'task-assigned'].includes(e.type))
    .map((e: { type: string; actor: string }) => [e.type, e.actor])).toEqual([
    ['task-claimed', 'lan.motcua-mybinh'], ['task-released', 'lan.motcua-mybinh'], ['task-assigned', leader.username]]);
});

test('two officers completing one task at once: one 200, one 409, one transition', async () => {
  const code = await submitted();
  const reception = await inboxTask(http, lan, code);
  const answers = await Promise.all([lan, lan2.token].map((token) =>
    http.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: 'ok' }, token)));
  expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
  const events = await env.db('dossier_events').where({ dossier_code: code });
  expect(events.filter((e) => e.to_status === 2)).toHaveLength(1);
  expect(events.filter((e) => e.type === 'task-completed')).toHaveLength(1);
});

test('a retried completion with the same Idempotency-Key answers the same with one effect', async () => {
  const { code, review } = await inReview();
  const key = { 'Idempotency-Key': `complete-${review.id}` };
  const body = { outcome: 'approve', data: { documentsComplete: true } };
  const first = await http.post(`/api/tasks/${review.id}/complete`, body, binh, key);
  const retry = await http.post(`/api/tasks/${review.id}/complete`, body, binh, key);
  expect(first.status).toBe(200);
  expect(retry.status).toBe(200);
  expect(retry.body).toEqual(first.body);
  expect(retry.headers.get('idempotent-replayed')).toBe('true');
  const other = await http.post(`/api/tasks/${review.id}/complete`, { ...body, comment: 'changed' }, binh, key);
  expect(other.status).toBe(422);
  expect((await http.post(`/api/tasks/${review.id}/complete`, body, binh)).status).toBe(409);
  const completed = await env.db('dossier_events').where({ dossier_code: code, type: 'task-completed', step_id: 'review' });
  expect(completed).toHaveLength(1);
});

test('the answer comes after the workflow applied it, and every action is in the history', async () => {
  const { code, review } = await inReview();
  const answer = await http.post(`/api/tasks/${review.id}/complete`, { outcome: 'approve', data: { documentsComplete: true }, comment: 'Đủ' }, binh);
  expect(answer.body.dossier).toMatchObject({ code, status: 4, currentSteps: ['sign'] });
  expect(await inboxTask(http, cuong, code)).toMatchObject({ stepId: 'sign', state: 'open' });
  const sign = await inboxTask(http, cuong, code);
  await http.post(`/api/tasks/${sign.id}/complete`, { outcome: 'approve', comment: 'Ký' }, cuong);
  const history = (await http.get(`/api/dossiers/${code}`, lan)).body.history;
  const completions = history.filter((e: { type: string }) => e.type === 'task-completed')
    .map((e: { stepId: string; actor: string; data: { outcome: string }; reason: string }) => [e.stepId, e.actor, e.data.outcome, e.reason]);
  expect(completions).toEqual([['receive', 'lan.motcua-mybinh', 'accept', 'ok'], ['review', 'binh.tuphap-mybinh', 'approve', 'Đủ'],
    ['sign', 'cuong.lanhdao-mybinh', 'approve', 'Ký']]);
  expect(history.filter((e: { type: string }) => e.type === 'task-opened').map((e: { stepId: string }) => e.stepId)).toEqual(['receive', 'review', 'sign']);
});
