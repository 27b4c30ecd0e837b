/**
 * Withdrawal (status 7) and stop (status 8) from the waiting states the lifecycle test does not reach:
 * a public posting period (`wait`), a partner agency's dossier (`handoff`), a fee (`payment`, status 6)
 * and the hand-over at the counter (status 9). Each ends cleanly: open tasks and payment requests are
 * cancelled, a partner dossier is withdrawn too, the run completes with nothing left waiting.
 * Real PostgreSQL, real Temporal, real HTTP.
 */
import { createCalendarStore } from '../../stores/calendar-store';
import { addDuration } from '../../domain/calendar';
import { publishSamples } from '../../scripts/seed';
import { startTestEnv, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { httpClient, type HttpClient } from '../support/http';
import { completeTask, eventually, loginDemo } from '../support/tasks';
import { publishProcedure } from '../support/procedures';

let env: TestEnv;
let http: HttpClient;
let lan: string;
let cuong: string;

const CODE = '9.900002';
const definition = {
  code: CODE, version: 1, name: 'Thủ tục thử dừng ở mọi trạng thái chờ', agency: 'UBND-XA-MY-BINH', serviceLevel: 'full-online',
  deadline: { workingDays: 20 },
  fees: [{ code: 'PHI', name: 'Phí thẩm định', amount: 30000, collect: 'at-reception' }],
  documents: [{ code: 'DON', name: 'Đơn đề nghị', required: true }],
  applicationForm: { type: 'object', required: ['stage'], properties: { stage: { enum: ['wait', 'handoff', 'payment', 'counter'] } } },
  returnChannels: ['electronic', 'counter'],
  steps: [
    { id: 'receive', kind: 'reception', assignee: { unit: 'MOT-CUA', role: 'one-stop-officer' }, next: 'route' },
    { id: 'route', kind: 'decision', cases: [
      { when: { '==': [{ var: 'application.stage' }, 'wait'] }, next: 'post' },
      { when: { '==': [{ var: 'application.stage' }, 'handoff'] }, next: 'partner' },
      { when: { '==': [{ var: 'application.stage' }, 'payment'] }, next: 'pay' },
    ], otherwise: 'give' },
    { id: 'post', kind: 'wait', name: 'Niêm yết công khai', duration: { days: 15 }, next: 'give' },
    { id: 'partner', kind: 'handoff', name: 'Liên thông khai sinh', to: { agency: 'UBND-XA-MY-BINH' }, procedure: '1.001193',
      outcomes: { done: {}, refused: { stop: true } }, next: 'give' },
    { id: 'pay', kind: 'payment', fees: ['PHI'], next: 'give' },
    { id: 'give', kind: 'return' },
  ],
};

type Stage = 'wait' | 'handoff' | 'payment' | 'counter';

beforeAll(async () => {
  env = await startTestEnv();
  await publishSamples(env.db);
  await publishProcedure(env.db, definition);
  http = httpClient(env.apiUrl);
  [lan, cuong] = await loginDemo(http, 'lan.motcua-mybinh', 'cuong.lanhdao-mybinh');
});
afterAll(() => env?.stop());

/** A dossier accepted at the counter and now waiting in `stage`. */
async function dossierWaitingIn(stage: Stage) {
  const submitted = await http.post('/api/dossiers', birthRegistration({
    procedureCode: CODE, application: { stage }, returnChannel: stage === 'counter' ? 'counter' : 'electronic',
  }));
  expect(submitted.status).toBe(201);
  const { code, applicantToken } = submitted.body as { code: string; applicantToken: string };
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'Đủ hồ sơ' });
  const expected = { wait: 'post', handoff: 'partner', payment: 'pay', counter: 'give' }[stage];
  await eventually(async () => {
    const view = (await http.get(`/api/dossiers/${code}`, lan)).body;
    if (stage === 'wait' && view.currentSteps?.includes(expected)) expect(view.status).toBe(4);
    return view.currentSteps?.includes(expected) && (stage !== 'counter' || view.tasks.some((t: { state: string }) => t.state === 'open'))
      ? view : undefined;
  }, `${code} waiting in ${expected}`);
  const partner = stage === 'handoff'
    ? await eventually(async () => (await env.db('dossiers').where({ parent_code: code }).first())?.code as string | undefined, 'the partner dossier')
    : undefined;
  return { code, applicantToken, partner };
}

async function expectEndedCleanly(code: string, status: number, partner?: string) {
  const view = (await http.get(`/api/dossiers/${code}`, lan)).body;
  expect(view.status).toBe(status);
  expect(view.tasks.filter((t: { state: string }) => t.state === 'open' || t.state === 'claimed')).toEqual([]);
  expect(await env.db('payments').where({ dossier_code: code, state: 'pending' })).toEqual([]);
  const described = await env.client.workflow.getHandle(code).describe();
  expect(described.status.name).toBe('COMPLETED');
  expect(described.raw.pendingActivities ?? []).toHaveLength(0);
  if (partner) {
    const result = await env.client.workflow.getHandle(partner).result();
    expect(result.status).toBe(7);
    const row = await env.db('dossiers').where({ code: partner }).first();
    expect(row.status).toBe(7);
  }
}

describe.each(['wait', 'handoff', 'payment', 'counter'] as const)('while waiting in %s', (stage) => {
  test('the applicant withdraws: status 7 and nothing left waiting', async () => {
    const { code, applicantToken, partner } = await dossierWaitingIn(stage);
    if (stage === 'counter') {
      // the result is ready (status 9): it can be collected or stopped, no longer withdrawn
      const refused = await http.post(`/api/dossiers/${code}/withdraw`, { reason: 'Không còn nhu cầu' }, applicantToken);
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toContain('can no longer be withdrawn (status 9)');
      expect((await http.get(`/api/dossiers/${code}`, lan)).body.status).toBe(9);
      return;
    }
    const res = await http.post(`/api/dossiers/${code}/withdraw`, { reason: 'Không còn nhu cầu' }, applicantToken);
    expect(res.status).toBe(200);
    await env.client.workflow.getHandle(code).result();
    await expectEndedCleanly(code, 7, partner);
    const last = await env.db('dossier_events').where({ dossier_code: code, type: 'status' }).orderBy('id', 'desc').first();
    expect(last).toMatchObject({ to_status: 7, actor: 'applicant', reason: 'Không còn nhu cầu' });
  });

  test('a leader stops it: status 8 with the reasons, nothing left waiting', async () => {
    const { code, partner } = await dossierWaitingIn(stage);
    const res = await http.post(`/api/dossiers/${code}/stop`, { reason: 'Không đủ điều kiện theo quy định' }, cuong);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe(8);
    await expectEndedCleanly(code, 8, partner);
    const last = await env.db('dossier_events').where({ dossier_code: code, type: 'status' }).orderBy('id', 'desc').first();
    expect(last).toMatchObject({ to_status: 8, actor: 'cuong.lanhdao-mybinh', reason: 'Không đủ điều kiện theo quy định' });
    const again = await http.post(`/api/dossiers/${code}/stop`, { reason: 'lần nữa' }, cuong);
    expect(again.status).toBe(409);
  });
});

test('an online dossier must be checked at the counter within 8 working hours when the procedure sets no time', async () => {
  const submitted = await http.post('/api/dossiers', birthRegistration({ procedureCode: CODE, application: { stage: 'wait' } }));
  const { code } = submitted.body as { code: string };
  const task = await eventually(async () => (await http.get(`/api/tasks?dossier=${encodeURIComponent(code)}`, lan)).body.items[0], 'the reception task');
  const opened = await env.db('dossier_events').where({ dossier_code: code, type: 'task-opened', step_id: 'receive' }).first();
  const calendar = await createCalendarStore(env.db).calendarFor('UBND-XA-MY-BINH');
  // the clock starts at the minute the task opened: the event is written just after, perhaps a minute later
  const minute = Math.floor(Date.parse(opened.at) / 60_000) * 60_000;
  const candidates = [minute, minute - 60_000].map((m) => Date.parse(addDuration(calendar, new Date(m).toISOString(), { workingHours: 8 })));
  expect(candidates).toContain(Date.parse(task.dueAt));
  expect(opened.data).toMatchObject({ dueAt: expect.any(String) });
});
