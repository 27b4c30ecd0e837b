/**
 * Every step kind in one procedure, over real HTTP with real PostgreSQL and Temporal: reception,
 * digitize, decision, parallel (task + wait), notify, handoff to a procedure published on the platform
 * (a linked partner dossier run to its end), payment at the counter, task and return.
 */
import { publishSamples } from '../../scripts/seed';
import { startTestEnv, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { keepHistory } from '../support/histories';
import { httpClient, type HttpClient } from '../support/http';
import { completeTask, eventually, findTask, loginDemo } from '../support/tasks';
import { publishProcedure } from '../support/procedures';

let env: TestEnv;
let http: HttpClient;
let lan: string;
let binh: string;
let cuong: string;

const CODE = '9.900001';
const definition = {
  code: CODE, version: 1, name: 'Thủ tục thử mọi loại bước', agency: 'UBND-XA-MY-BINH', serviceLevel: 'full-online',
  deadline: { workingDays: 10 },
  fees: [{ code: 'LE-PHI', name: 'Lệ phí', amount: 50000, collect: 'before-return' }],
  documents: [{ code: 'DON', name: 'Đơn đề nghị', required: true }],
  applicationForm: { type: 'object', properties: { urgent: { type: 'boolean' } }, required: ['urgent'] },
  returnChannels: ['electronic', 'counter'],
  steps: [
    { id: 'receive', kind: 'reception', assignee: { unit: 'MOT-CUA', role: 'one-stop-officer' }, next: 'scan' },
    { id: 'scan', kind: 'digitize', documents: 'all', next: 'route' },
    { id: 'route', kind: 'decision', cases: [{ when: { '==': [{ var: 'application.urgent' }, true] }, next: 'tell' }], otherwise: 'both' },
    { id: 'both', kind: 'parallel', next: 'partner', branches: [
      { steps: [{ id: 'review', kind: 'task', name: 'Thẩm định', assignee: { unit: 'TU-PHAP', role: 'specialist' },
        outcomes: { ok: {}, missing: { supplement: true } } }] },
      { steps: [{ id: 'post', kind: 'wait', name: 'Niêm yết', duration: { iso: 'PT2S' } }] },
    ] },
    { id: 'tell', kind: 'notify', template: 'accepted', to: 'applicant', channels: ['in-app'], next: 'partner' },
    { id: 'partner', kind: 'handoff', name: 'Liên thông khai sinh', to: { agency: 'UBND-XA-MY-BINH' }, procedure: '1.001193',
      outcomes: { done: { next: 'pay' }, refused: { stop: true } } },
    { id: 'pay', kind: 'payment', fees: ['LE-PHI'], next: 'sign' },
    { id: 'sign', kind: 'task', name: 'Ký duyệt', assignee: { unit: 'LANH-DAO', role: 'leader' }, outcomes: { approve: {} }, next: 'give' },
    { id: 'give', kind: 'return' },
  ],
};

beforeAll(async () => {
  env = await startTestEnv();
  await publishSamples(env.db);
  await publishProcedure(env.db, definition);
  http = httpClient(env.apiUrl);
  [lan, binh, cuong] = await loginDemo(http, 'lan.motcua-mybinh', 'binh.tuphap-mybinh', 'cuong.lanhdao-mybinh');
});
afterAll(() => env?.stop());

const partnerOf = (code: string): Promise<string> =>
  eventually(async () => (await env.db('dossiers').where({ parent_code: code }).first())?.code, `the partner dossier of ${code}`);

test('a dossier runs through every step kind, with a partner dossier and a counter payment', async () => {
  const submitted = await http.post('/api/dossiers', birthRegistration({ procedureCode: CODE, application: { urgent: false },
    documents: [{ code: 'DON', fileName: 'don.pdf', mediaType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.4 đơn').toString('base64') }] }));
  expect(submitted.status).toBe(201);
  const { code } = submitted.body;
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'ok' });
  await completeTask(http, binh, code, 'review', { outcome: 'ok' });

  // the partner agency's own dossier runs its whole process
  const partner = await partnerOf(code);
  await completeTask(http, lan, partner, 'receive', { outcome: 'accept', comment: 'Nhận liên thông' });
  await completeTask(http, binh, partner, 'review', { outcome: 'approve', data: { documentsComplete: true } });
  await completeTask(http, cuong, partner, 'sign', { outcome: 'approve' });

  // the fee is due before the result: status 6 until the counter records it
  let view = await http.get(`/api/dossiers/${code}`, lan);
  for (let i = 0; i < 100 && view.body.status !== 6; i++) {
    await new Promise((r) => setTimeout(r, 100));
    view = await http.get(`/api/dossiers/${code}`, lan);
  }
  expect(view.body.status).toBe(6);
  expect(view.body.fees).toEqual([expect.objectContaining({ code: 'LE-PHI', amount: 50000, state: 'pending' })]);
  expect((await http.post(`/api/dossiers/${code}/payments/LE-PHI/confirm`, {}, binh)).status).toBe(403);
  const paid = await http.post(`/api/dossiers/${code}/payments/LE-PHI/confirm`, { receiptNo: 'BL-0001' }, lan);
  expect(paid.status).toBe(200);
  expect(paid.body.status).toBe(4);
  expect((await http.post(`/api/dossiers/${code}/payments/LE-PHI/confirm`, {}, lan)).status).toBe(409);

  const { dossier: finished } = await completeTask(http, cuong, code, 'sign', { outcome: 'approve' });
  expect(finished.status).toBe(10);

  view = await http.get(`/api/dossiers/${code}`, lan);
  const statuses = view.body.history.filter((e: { type: string }) => e.type === 'status').map((e: { toStatus: number }) => e.toStatus);
  expect(statuses).toEqual([1, 2, 4, 6, 4, 9, 10]);
  const types = view.body.history.map((e: { type: string }) => e.type);
  expect(types).toEqual(expect.arrayContaining(['digitized', 'handoff-sent', 'handoff-returned']));
  expect(types).not.toContain('notified');
  expect(view.body.documents[0]).toMatchObject({ code: 'DON', digitizationCode: `${code}-TP01` });
  expect(view.body.fees[0]).toMatchObject({ state: 'paid', channel: 'counter', receiptNo: 'BL-0001' });
  const hop = await env.db('handoffs').where({ dossier_code: code }).first();
  expect(hop).toMatchObject({ partner_dossier_code: partner, outcome: 'done', received_by: 'lan.motcua-mybinh', to_agency: 'UBND-XA-MY-BINH' });
  const partnerRow = await env.db('dossiers').where({ code: partner }).first();
  expect(partnerRow).toMatchObject({ status: 10, parent_code: code, procedure_code: '1.001193' });
  await keepHistory(env.client, 'every-step-kind-local-activities', code);
});

test('the decision takes the other branch on the data, and a refused partner dossier stops the lead one', async () => {
  const submitted = await http.post('/api/dossiers', birthRegistration({ procedureCode: CODE, application: { urgent: true } }));
  const { code } = submitted.body;
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'ok' });
  const partner = await partnerOf(code);
  await completeTask(http, lan, partner, 'receive', { outcome: 'refuse', comment: 'Không thuộc thẩm quyền' });
  const result = await env.client.workflow.getHandle(code).result();
  expect(result).toEqual({ status: 8 });
  const view = await http.get(`/api/dossiers/${code}`, lan);
  const types = view.body.history.map((e: { type: string }) => e.type);
  expect(types).toContain('notified');
  expect(view.body.tasks.map((t: { stepId: string }) => t.stepId)).not.toContain('review');
  const note = await env.db('notifications').where({ dossier_code: code, template: 'accepted' });
  expect(note.length).toBeGreaterThan(0);
});

test('withdrawal while waiting for a fee cancels the payment request and leaves nothing waiting', async () => {
  const { body } = await http.post('/api/dossiers', birthRegistration({ procedureCode: CODE, application: { urgent: true } }));
  await completeTask(http, lan, body.code, 'receive', { outcome: 'accept', comment: 'ok' });
  const partner = await partnerOf(body.code);
  await completeTask(http, lan, partner, 'receive', { outcome: 'accept', comment: 'ok' });
  await completeTask(http, binh, partner, 'review', { outcome: 'approve', data: { documentsComplete: true } });
  await completeTask(http, cuong, partner, 'sign', { outcome: 'approve' });
  for (let i = 0; i < 100 && (await env.db('dossiers').where({ code: body.code }).first()).status !== 6; i++) await new Promise((r) => setTimeout(r, 100));
  const withdrawn = await http.post(`/api/dossiers/${body.code}/withdraw`, { reason: 'Không nộp phí nữa' }, body.applicantToken);
  expect(withdrawn.body.status).toBe(7);
  const view = (await http.get(`/api/dossiers/${body.code}`, lan)).body;
  expect(view.fees).toEqual([expect.objectContaining({ code: 'LE-PHI', state: 'cancelled' })]);
  expect((await env.client.workflow.getHandle(body.code).describe()).status.name).toBe('COMPLETED');
});

test('withdrawing the lead dossier withdraws its running partner dossier too', async () => {
  const { body } = await http.post('/api/dossiers', birthRegistration({ procedureCode: CODE, application: { urgent: true } }));
  await completeTask(http, lan, body.code, 'receive', { outcome: 'accept', comment: 'ok' });
  const partner = await partnerOf(body.code);
  await findTask(http, lan, partner, 'receive');
  const withdrawn = await http.post(`/api/dossiers/${body.code}/withdraw`, { reason: 'Không còn nhu cầu' }, body.applicantToken);
  expect(withdrawn.body.status).toBe(7);
  expect(await env.client.workflow.getHandle(partner).result()).toEqual({ status: 7 });
});
