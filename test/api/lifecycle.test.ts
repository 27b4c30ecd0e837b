/**
 * Ending a dossier from every waiting state over HTTP: withdrawal by the applicant (status 7) and stop
 * by a leader (status 8) close open tasks and leave nothing waiting; the applicant's supplement resumes
 * the clock. Real PostgreSQL, real Temporal, real HTTP.
 */
import { publishSamples } from '../../scripts/seed';
import { startTestEnv, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { httpClient, type HttpClient } from '../support/http';
import { inboxTask, loginDemo } from '../support/tasks';

let env: TestEnv;
let http: HttpClient;
let lan: string;
let binh: string;
let cuong: string;

beforeAll(async () => {
  env = await startTestEnv();
  await publishSamples(env.db);
  http = httpClient(env.apiUrl);
  [lan, binh, cuong] = await loginDemo(http, 'lan.motcua-mybinh', 'binh.tuphap-mybinh', 'cuong.lanhdao-mybinh');
});
afterAll(() => env?.stop());

/** A dossier brought to one of its waiting states; returns its code and applicant token. */
async function dossierWaitingIn(state: 'reception' | 'processing' | 'supplement') {
  const { body } = await http.post('/api/dossiers', birthRegistration());
  if (state === 'reception') return body;
  const reception = await inboxTask(http, lan, body.code);
  await http.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: 'ok' }, lan);
  if (state === 'processing') return body;
  const review = await inboxTask(http, binh, body.code);
  const paused = await http.post(`/api/tasks/${review.id}/complete`, { outcome: 'missing', comment: 'Thiếu giấy chứng sinh' }, binh);
  expect(paused.body).toMatchObject({ dossier: { status: 5 } });
  return body;
}

async function expectEndedCleanly(code: string, status: number) {
  const view = await http.get(`/api/dossiers/${code}`, lan);
  expect(view.body.status).toBe(status);
  expect(view.body.tasks.filter((t: { state: string }) => t.state === 'open' || t.state === 'claimed')).toEqual([]);
  const described = await env.client.workflow.getHandle(code).describe();
  expect(described.status.name).toBe('COMPLETED');
  expect(described.raw.pendingActivities ?? []).toHaveLength(0);
}

describe.each(['reception', 'processing', 'supplement'] as const)('while waiting in %s', (state) => {
  test('the applicant withdraws: status 7, open tasks cancelled, nothing left waiting', async () => {
    const { code, applicantToken } = await dossierWaitingIn(state);
    const refused = await http.post(`/api/dossiers/${code}/withdraw`, { reason: 'x' }, lan);
    expect(refused.status).toBe(403);
    const withdrawn = await http.post(`/api/dossiers/${code}/withdraw`, { reason: 'Không còn nhu cầu' }, applicantToken);
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.status).toBe(7);
    await expectEndedCleanly(code, 7);
    const again = await http.post(`/api/dossiers/${code}/withdraw`, { reason: 'again' }, applicantToken);
    expect(again.status).toBe(409);
  });

  test('a leader stops it: status 8 with the reasons, nothing left waiting', async () => {
    const { code } = await dossierWaitingIn(state);
    expect((await http.post(`/api/dossiers/${code}/stop`, { reason: 'x' }, binh)).status).toBe(403);
    expect((await http.post(`/api/dossiers/${code}/stop`, {}, cuong)).status).toBe(422);
    const stopped = await http.post(`/api/dossiers/${code}/stop`, { reason: 'Hồ sơ giả mạo giấy tờ' }, cuong);
    expect(stopped.status).toBe(200);
    expect(stopped.body.status).toBe(8);
    await expectEndedCleanly(code, 8);
    const history = (await http.get(`/api/dossiers/${code}`, lan)).body.history;
    expect(history.at(-1)).toMatchObject({ toStatus: 8, actor: 'cuong.lanhdao-mybinh', reason: 'Hồ sơ giả mạo giấy tờ' });
    expect((await http.post(`/api/dossiers/${code}/stop`, { reason: 'again' }, cuong)).status).toBe(409);
  });
});

test('the applicant supplements: the same step opens again and the count is kept', async () => {
  const { code, applicantToken } = await dossierWaitingIn('processing');
  expect((await http.post(`/api/dossiers/${code}/supplement`, { note: 'early' }, applicantToken)).status).toBe(409);
  const review = await inboxTask(http, binh, code);
  await http.post(`/api/tasks/${review.id}/complete`, { outcome: 'missing', comment: 'Thiếu giấy chứng sinh' }, binh);
  expect((await http.post(`/api/dossiers/${code}/supplement`, { note: 'x' }, lan)).status).toBe(403);
  const bad = await http.post(`/api/dossiers/${code}/supplement`, { documents: [{ code: 'NOPE', fileName: 'a.pdf', contentBase64: 'JVBERi0=' }] }, applicantToken);
  expect(bad.status).toBe(422);
  expect(bad.body.error.details[0].path).toBe('$.documents[0].code');
  const resumed = await http.post(`/api/dossiers/${code}/supplement`, {
    note: 'Đã bổ sung giấy chứng sinh',
    documents: [{ code: 'GIAY-CHUNG-SINH', fileName: 'giay-chung-sinh.pdf', mediaType: 'application/pdf', contentBase64: 'JVBERi0xLjQK' }],
  }, applicantToken);
  expect(resumed.status).toBe(200);
  expect(resumed.body.status).toBe(4);
  const again = await inboxTask(http, binh, code);
  expect(again).toMatchObject({ stepId: 'review', iteration: 2 });
  const view = await http.get(`/api/dossiers/${code}`, lan);
  expect(view.body.supplementCount).toBe(1);
  expect(view.body.documents.map((d: { code: string }) => d.code)).toContain('GIAY-CHUNG-SINH');
});
