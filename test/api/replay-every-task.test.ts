/**
 * A worker that keeps two runs in memory, driving six dossiers at once, replays dossiers' whole histories again
 * and again, as every worker does after a restart or when its cache is full. Dossiers whose parallel branches write the read model
 * at the same time must replay without a nondeterminism error and reach their end.
 */
import { publishSamples } from '../../scripts/seed';
import { startTestEnv, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { keepHistory } from '../support/histories';
import { httpClient, type HttpClient } from '../support/http';
import { publishProcedure } from '../support/procedures';
import { completeTask, eventually, findTask, loginDemo } from '../support/tasks';

let env: TestEnv;
let http: HttpClient;
let lan: string;
let binh: string;
let dung: string;
let cuong: string;

const CODE = '9.900801';
/** Three branches at once, each opening a task with a deadline and writing history, then a notification each. */
const definition = {
  code: CODE, version: 1, name: 'Thủ tục thử ba nhánh song song', agency: 'UBND-XA-MY-BINH', serviceLevel: 'full-online',
  deadline: { workingDays: 10 },
  documents: [{ code: 'DON', name: 'Đơn đề nghị', required: true }],
  returnChannels: ['electronic'],
  steps: [
    { id: 'receive', kind: 'reception', assignee: { unit: 'MOT-CUA', role: 'one-stop-officer' }, next: 'all' },
    { id: 'all', kind: 'parallel', next: 'sign', branches: [
      { steps: [
        { id: 'legal', kind: 'task', name: 'Thẩm định pháp lý', assignee: { unit: 'TU-PHAP', role: 'specialist' }, deadline: { workingDays: 2 },
          outcomes: { ok: {} }, next: 'tell-legal' },
        { id: 'tell-legal', kind: 'notify', template: 'accepted', to: { unit: 'LANH-DAO', role: 'leader' }, channels: ['in-app'] },
      ] },
      { steps: [
        { id: 'site', kind: 'task', name: 'Kiểm tra thực địa', assignee: { unit: 'KINH-TE', role: 'specialist' }, deadline: { workingDays: 2 },
          outcomes: { ok: {} }, next: 'tell-site' },
        { id: 'tell-site', kind: 'notify', template: 'accepted', to: { unit: 'LANH-DAO', role: 'leader' }, channels: ['in-app'] },
      ] },
      { steps: [
        { id: 'digitize', kind: 'digitize', documents: 'all', next: 'tell-scan' },
        { id: 'tell-scan', kind: 'notify', template: 'accepted', to: { unit: 'LANH-DAO', role: 'leader' }, channels: ['in-app'] },
      ] },
    ] },
    { id: 'sign', kind: 'task', name: 'Ký duyệt', assignee: { unit: 'LANH-DAO', role: 'leader' }, outcomes: { approve: {} }, next: 'give' },
    { id: 'give', kind: 'return' },
  ],
};

beforeAll(async () => {
  env = await startTestEnv({ workflowCacheSize: 2 });
  await publishSamples(env.db);
  await publishProcedure(env.db, definition);
  http = httpClient(env.apiUrl);
  [lan, binh, dung, cuong] = await loginDemo(http, 'lan.motcua-mybinh', 'binh.tuphap-mybinh', 'dung.kinhte-mybinh', 'cuong.lanhdao-mybinh');
});
afterAll(() => env?.stop());

async function throughParallel(): Promise<string> {
  const submitted = await http.post('/api/dossiers', birthRegistration({ procedureCode: CODE, application: {},
    documents: [{ code: 'DON', fileName: 'don.pdf', mediaType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.4 đơn').toString('base64') }] }));
  expect(submitted.status).toBe(201);
  const code = submitted.body.code as string;
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'Hồ sơ đầy đủ' });
  const [legal, site] = await Promise.all([findTask(http, binh, code, 'legal'), findTask(http, dung, code, 'site')]);
  // both branches answered at once: their read-model writes race each other in the worker
  const answers = await Promise.all([
    http.post(`/api/tasks/${legal.id}/complete`, { outcome: 'ok' }, binh),
    http.post(`/api/tasks/${site.id}/complete`, { outcome: 'ok' }, dung),
  ]);
  expect(answers.map((a) => a.status)).toEqual([200, 200]);
  await completeTask(http, cuong, code, 'sign', { outcome: 'approve' });
  return code;
}

test('parallel branches writing the read model at once replay without a nondeterminism error', async () => {
  const codes = await Promise.all(Array.from({ length: 6 }, () => throughParallel()));
  for (const code of codes) {
    const row = await eventually(async () => {
      const r = await env.db('dossiers').where({ code }).first();
      return r.status === 10 && r;
    }, `dossier ${code} to reach status 10`);
    expect(row.status).toBe(10);
    const history = await env.client.workflow.getHandle(code).fetchHistory();
    const failed = (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes)
      .map((e) => e.workflowTaskFailedEventAttributes?.failure?.message);
    expect(failed).toEqual([]);
    expect(await env.db('dossier_events').where({ dossier_code: code, type: 'notified' })).toHaveLength(3);
  }
  await keepHistory(env.client, 'parallel-serial-local-activities', codes[0]);
});
