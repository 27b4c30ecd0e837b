/**
 * The README walkthrough over real HTTP, real PostgreSQL and real Temporal: an online birth
 * registration goes from submission to "Đã trả kết quả" through three officers.
 */
import { publishSamples } from '../../scripts/seed';
import { SA } from '../../domain/search-attributes';
import { startTestEnv, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { httpClient, type HttpClient } from '../support/http';
import { inboxTask, loginDemo } from '../support/tasks';

let env: TestEnv;
let http: HttpClient;

beforeAll(async () => {
  env = await startTestEnv();
  await publishSamples(env.db);
  http = httpClient(env.apiUrl);
});
afterAll(() => env?.stop());

test('a dossier goes from submission to returned through three officers', async () => {
  const submitted = await http.post('/api/dossiers', birthRegistration());
  expect(submitted.status).toBe(201);
  const { code, applicantToken } = submitted.body;
  expect(code).toMatch(/^000\.31\.31\.H01-\d{6}-\d{4}$/);
  expect(submitted.body.status).toBe(1);

  const [lan, binh, cuong] = await loginDemo(http, 'lan.motcua-mybinh', 'binh.tuphap-mybinh', 'cuong.lanhdao-mybinh');

  const reception = await inboxTask(http, lan, code);
  expect(reception).toMatchObject({ stepId: 'receive', unit: 'MOT-CUA', role: 'one-stop-officer', state: 'open' });
  expect(await inboxTask(http, binh, code)).toBeUndefined();

  const accepted = await http.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: 'Hồ sơ đầy đủ' }, lan);
  expect(accepted.status).toBe(200);
  expect(accepted.body.dossier.status).toBe(4);
  expect(Date.parse(accepted.body.dossier.appointmentAt)).toBeGreaterThan(Date.now() - 60_000);

  const review = await inboxTask(http, binh, code);
  expect(review).toMatchObject({ stepId: 'review', unit: 'TU-PHAP', role: 'specialist' });
  const wrongOfficer = await http.post(`/api/tasks/${review.id}/complete`, { outcome: 'approve' }, lan);
  expect(wrongOfficer.status).toBe(403);
  const reviewed = await http.post(`/api/tasks/${review.id}/complete`, { outcome: 'approve', data: reviewData() }, binh);
  expect(reviewed.status).toBe(200);
  expect(reviewed.body.dossier.status).toBe(4);
  const again = await http.post(`/api/tasks/${review.id}/complete`, { outcome: 'approve', data: reviewData() }, binh);
  expect(again.status).toBe(409);

  const sign = await inboxTask(http, cuong, code);
  expect(sign).toMatchObject({ stepId: 'sign', unit: 'LANH-DAO', role: 'leader' });
  const signed = await http.post(`/api/tasks/${sign.id}/complete`, { outcome: 'approve' }, cuong);
  expect(signed.status).toBe(200);
  expect(signed.body.dossier).toMatchObject({ status: 10, statusLabel: 'Đã trả kết quả' });

  const view = await http.get(`/api/dossiers/${code}`, lan);
  expect(view.status).toBe(200);
  const statuses = view.body.history.filter((e: { type: string }) => e.type === 'status');
  expect(statuses.map((e: { toStatus: number }) => e.toStatus)).toEqual([1, 2, 4, 9, 10]);
  expect(statuses.map((e: { actor: string }) => e.actor)).toEqual(
    ['applicant', 'lan.motcua-mybinh', 'system', 'cuong.lanhdao-mybinh', 'system']);
  expect(view.body).toMatchObject({ status: 10, procedure: { code: '1.001193', version: 1 } });
  expect(view.body.tasks.map((t: { state: string }) => t.state)).toEqual(['completed', 'completed', 'completed']);
  expect(view.body.returnedAt).not.toBeNull();

  const mine = await http.get(`/api/dossiers/${code}`, applicantToken);
  expect(mine.status).toBe(200);
  expect((await http.get(`/api/dossiers/${code}`)).status).toBe(403);
  const someoneElse = await http.post('/api/dossiers', birthRegistration());
  const otherView = await http.get(`/api/dossiers/${code}`, someoneElse.body.applicantToken);
  expect(otherView.status).toBe(403);

  const described = await env.client.workflow.getHandle(code).describe();
  expect(described.status.name).toBe('COMPLETED');
  expect(described.typedSearchAttributes.get(SA.status)).toBe('10');
  expect(described.typedSearchAttributes.get(SA.procedureCode)).toBe('1.001193');
  expect(described.typedSearchAttributes.get(SA.dossierCode)).toBe(code);
  expect(described.typedSearchAttributes.get(SA.agency)).toBe('UBND-XA-MY-BINH');
  expect(await described.staticSummary()).toContain('Đăng ký khai sinh');
});

test('bad input is refused with every problem and its path', async () => {
  const bad = await http.post('/api/dossiers', birthRegistration({ returnChannel: 'pigeon', applicant: { fullName: '' } }));
  expect(bad.status).toBe(422);
  const paths = bad.body.error.details.map((d: { path: string }) => d.path);
  expect(paths).toEqual(expect.arrayContaining(['$.returnChannel', '$.applicant.fullName', '$.applicant.idNumber']));
  const malformed = await http.post('/api/dossiers', '{"procedureCode": ');
  expect(malformed.status).toBe(400);
  expect(malformed.body.error.code).toBe('BadRequestError');
  const unknown = await http.post('/api/dossiers', birthRegistration({ procedureCode: '9.999999' }));
  expect(unknown.status).toBe(404);
});

test('an Idempotency-Key makes a retried submission answer the same with one dossier', async () => {
  const key = `k-${Date.now()}`;
  const body = birthRegistration();
  const first = await http.post('/api/dossiers', body, undefined, { 'Idempotency-Key': key });
  const second = await http.post('/api/dossiers', body, undefined, { 'Idempotency-Key': key });
  expect(first.status).toBe(201);
  expect(second.status).toBe(201);
  expect(second.body.code).toBe(first.body.code);
  expect(second.headers.get('idempotent-replayed')).toBe('true');
  const count = await env.db('dossiers').whereRaw(`applicant->>'idNumber' = ?`, [body.applicant.idNumber]).count({ n: '*' });
  expect(Number(count[0].n)).toBe(1);
});

test('login refuses a wrong password and a token that is not ours', async () => {
  const wrong = await http.post('/api/auth/login', { username: 'lan.motcua-mybinh', password: 'nope' });
  expect(wrong.status).toBe(401);
  const forged = await http.get('/api/tasks', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl');
  expect(forged.status).toBe(401);
});

function reviewData() {
  return { documentsComplete: true, note: 'Đủ điều kiện đăng ký khai sinh' };
}
