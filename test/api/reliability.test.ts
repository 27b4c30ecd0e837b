/**
 * Failing well and answering truthfully, over real HTTP with real PostgreSQL and Temporal: a step that
 * fails for good is shown to ops and repaired or cancelled; text PostgreSQL cannot store never wedges a
 * dossier; a completion reaches the read model only once the workflow has it; a retried request whose
 * first attempt died is answered with the truth.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createDossierActivities } from '../../activities/dossier-activities';
import { publishSamples } from '../../scripts/seed';
import { SA } from '../../domain/search-attributes';
import { withdrawSignal } from '../../workflows/messages';
import { NativeConnection } from '@temporalio/worker';
import { createWorker } from '../../worker';
import { startTestEnv, testDocuments, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { keepHistory } from '../support/histories';
import { httpClient, type HttpClient } from '../support/http';
import { eventually, findTask, loginDemo } from '../support/tasks';

let env: TestEnv;
let http: HttpClient;
let lan: string;
let binh: string;
let ops: string;

beforeAll(async () => {
  env = await startTestEnv();
  await publishSamples(env.db);
  http = httpClient(env.apiUrl);
  [lan, binh, ops] = await loginDemo(http, 'lan.motcua-mybinh', 'binh.tuphap-mybinh', 'thietke.lanhdao-mybinh');
});
afterAll(() => env?.stop());

async function submitted(): Promise<string> {
  const res = await http.post('/api/dossiers', birthRegistration());
  expect(res.status).toBe(201);
  return res.body.code as string;
}

const dossierRow = (code: string) => env.db('dossiers').where({ code }).first();

/** Makes PostgreSQL refuse history rows whose reason carries `marker` (a broken constraint no retry cures), until dropped. */
async function refuseReasons(marker: string): Promise<() => Promise<void>> {
  const name = `refuse_${marker.replace(/\W/g, '_').toLowerCase()}`;
  await env.db.raw(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.reason LIKE '%${marker}%' THEN RAISE EXCEPTION 'refused by the test' USING ERRCODE = '23514'; END IF; RETURN NEW; END $$`);
  await env.db.raw(`CREATE TRIGGER ${name} BEFORE INSERT ON dossier_events FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  return async () => {
    await env.db.raw(`DROP TRIGGER ${name} ON dossier_events`);
    await env.db.raw(`DROP FUNCTION ${name}()`);
  };
}

async function needsAttention(code: string): Promise<boolean | undefined> {
  const described = await env.client.workflow.getHandle(code).describe();
  return described.typedSearchAttributes.get(SA.needsAttention);
}

describe('a step that fails for good', () => {
  test('is shown on the dossier, in Temporal and as a metric, and goes on when ops repair it', async () => {
    const code = await submitted();
    const marker = `BOOM${randomBytes(4).toString('hex')}`;
    const fixed = await refuseReasons(marker);
    try {
      const reception = await findTask(http, lan, code);
      const done = await http.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: `Hồ sơ đủ ${marker}` }, lan);
      // the completion is in the workflow; writing its history row failed for good, and the answer says so
      if (done.status !== 200) {
        const h = await env.client.workflow.getHandle(code).fetchHistory();
        console.log(h.events?.map((e) => `${e.eventId} ${e.eventType} ${e.activityTaskScheduledEventAttributes?.activityType?.name ?? ''} ${JSON.stringify(e.workflowExecutionFailedEventAttributes ?? e.workflowExecutionCompletedEventAttributes ?? '')}`).join('\n'));
      }
      expect(done.status).toBe(200);
      const row = await eventually(async () => (await dossierRow(code))?.attention && dossierRow(code), 'the attention flag');
      expect(row.attention).toMatchObject({ activity: 'recordEvent', type: 'ConstraintViolationError' });
      expect(row.attention.message).toContain('refused by the test');
      expect(row.status).toBe(1);
      expect(await needsAttention(code)).toBe(true);
      const view = await http.get(`/api/dossiers/${code}`, lan);
      expect(view.body.attention).toMatchObject({ activity: 'recordEvent', type: 'ConstraintViolationError' });
      const listed = await http.get('/api/ops/attention', ops);
      expect(listed.body.items.map((i: { code: string }) => i.code)).toContain(code);
      expect((await http.get('/api/ops/attention', lan)).status).toBe(403);
      const metrics = await http.get<string>('/metrics');
      expect(metrics.body).toMatch(/onestop_dossier_step_failures_total\{activity="recordEvent",type="ConstraintViolationError"\} [1-9]/);
      expect(metrics.body).toMatch(/onestop_dossiers_needing_attention\{agency="UBND-XA-MY-BINH"\} [1-9]/);
    } finally {
      await fixed();
    }
    const repaired = await http.post(`/api/dossiers/${code}/repair`, { note: 'trigger removed' }, ops);
    expect(repaired.status).toBe(202);
    const after = await eventually(async () => {
      const r = await dossierRow(code);
      return r.status === 4 && r;
    }, 'the dossier to go on after the repair');
    expect(after.attention).toBeNull();
    expect(await needsAttention(code)).toBe(false);
    expect(await findTask(http, binh, code)).toBeDefined();
    expect((await http.post(`/api/dossiers/${code}/repair`, {}, ops)).status).toBe(409);
    await keepHistory(env.client, 'attention-repaired', code);
  });

  test('a cancellation in the Temporal UI stops the dossier (status 8) with the reason, and the read model follows', async () => {
    const code = await submitted();
    const marker = `BOOM${randomBytes(4).toString('hex')}`;
    const fixed = await refuseReasons(marker);
    try {
      const reception = await findTask(http, lan, code);
      await http.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: marker }, lan);
      await eventually(async () => (await dossierRow(code))?.attention, 'the attention flag');
      // what the Temporal UI's Cancel dialog sends, with the reason ops typed
      await env.client.workflowService.requestCancelWorkflowExecution({ namespace: 'default',
        workflowExecution: { workflowId: code }, identity: 'ops@temporal-ui', reason: 'Hồ sơ nhập trùng', requestId: randomBytes(8).toString('hex') });
      const result = await env.client.workflow.getHandle(code).result();
      expect(result).toEqual({ status: 8 });
    } finally {
      await fixed();
    }
    const row = await eventually(async () => {
      const r = await dossierRow(code);
      return r.status === 8 && r;
    }, 'status 8 in the read model');
    expect(row.finished_at).not.toBeNull();
    const stop = await env.db('dossier_events').where({ dossier_code: code, to_status: 8 }).first();
    expect(stop.reason).toBe('Dừng xử lý do hủy quy trình từ hệ thống vận hành: Hồ sơ nhập trùng');
    const open = await env.db('tasks').where({ dossier_code: code }).whereIn('state', ['open', 'claimed']);
    expect(open).toEqual([]);
    await keepHistory(env.client, 'cancelled-from-ui', code);
  });
});

test('a withdrawal whose dossier cannot end at once never hangs: 202, the failure shown, and it ends once repaired', async () => {
  const submittedRes = await http.post('/api/dossiers', birthRegistration());
  const { code, applicantToken } = submittedRes.body;
  await findTask(http, lan, code);
  const marker = `BOOM${randomBytes(4).toString('hex')}`;
  const fixed = await refuseReasons(marker);
  try {
    const started = Date.now();
    const withdrawn = await http.post(`/api/dossiers/${code}/withdraw`, { reason: `Rút hồ sơ ${marker}` }, applicantToken);
    expect(withdrawn.status).toBe(202);
    expect(withdrawn.body).toMatchObject({ code, status: 1, withdrawal: 'pending' });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await eventually(async () => (await dossierRow(code))?.attention, 'the attention flag')).toMatchObject({ activity: 'recordEvent' });
  } finally {
    await fixed();
  }
  expect((await http.post(`/api/dossiers/${code}/repair`, {}, ops)).status).toBe(202);
  expect(await env.client.workflow.getHandle(code).result()).toEqual({ status: 7 });
  expect((await dossierRow(code)).status).toBe(7);
  await keepHistory(env.client, 'withdrawal-repaired', code);
});

test('a run terminated by ops (which runs none of its code) is followed by the read model: stopped, tasks closed, applicant told', async () => {
  const code = await submitted();
  const reception = await findTask(http, lan, code);
  await env.client.workflow.getHandle(code).terminate('Chạy thử nhầm');
  // Temporal's list of runs follows a moment later: a pass before it shows the run finds nothing yet
  await eventually(async () => {
    const sweep = await http.post('/api/ops/recovery', {}, ops);
    expect(sweep.status).toBe(200);
    return (await dossierRow(code)).status === 8;
  }, 'the terminated run to be followed', { tries: 50, intervalMs: 200 });
  const stop = await env.db('dossier_events').where({ dossier_code: code, to_status: 8 });
  expect(stop).toHaveLength(1);
  expect(stop[0].reason).toBe('Dừng xử lý do chấm dứt (terminate) quy trình từ hệ thống vận hành: Chạy thử nhầm');
  expect((await env.db('tasks').where({ id: reception.id }).first()).state).toBe('cancelled');
  expect(await env.db('notifications').where({ dossier_code: code, template: 'stopped' }).first()).toBeDefined();
  // the next pass does nothing twice
  await http.post('/api/ops/recovery', {}, ops);
  expect(await env.db('dossier_events').where({ dossier_code: code, to_status: 8 })).toHaveLength(1);
});

test('text PostgreSQL cannot store (NUL, a lone surrogate) reaching the workflow never wedges the dossier', async () => {
  const code = await submitted();
  await findTask(http, lan, code);
  // past the API's boundary (which refuses it with 422): straight to the workflow, as a partner's or an old run's data could
  await env.client.workflow.getHandle(code).signal(withdrawSignal, { actor: { username: 'applicant' }, reason: 'Rút hồ sơ\u0000để nộp lại \uD800' });
  expect(await env.client.workflow.getHandle(code).result()).toEqual({ status: 7 });
  const event = await env.db('dossier_events').where({ dossier_code: code, to_status: 7 }).first();
  expect(event.reason).toBe('Rút hồ sơ\uFFFDđể nộp lại \uFFFD');
  expect((await dossierRow(code)).status).toBe(7);
});

describe('a completion', () => {
  test('reaches the read model only after its Update is in the workflow history', async () => {
    const code = await submitted();
    const reception = await findTask(http, lan, code);
    expect((await http.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: 'ok' }, lan)).status).toBe(200);
    const history = await env.client.workflow.getHandle(code).fetchHistory();
    const events = history.events ?? [];
    const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    const closing = events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'closeTask');
    expect(accepted).toBeGreaterThan(0);
    expect(closing).toBeGreaterThan(accepted);
    // no local activity wrote the task's completion before the Update was accepted
    const markers = events.slice(0, accepted).filter((e) => e.markerRecordedEventAttributes);
    const before = JSON.stringify(markers);
    expect(before).not.toContain('closeTask');
    expect((await env.db('tasks').where({ id: reception.id }).first()).state).toBe('completed');
    await keepHistory(env.client, 'durable-completion', code);
  });

  test('retried after its first request died once applied gets the original answer, not "still running" or 409', async () => {
    const code = await submitted();
    const reception = await findTask(http, lan, code);
    const key = { 'Idempotency-Key': `crash-${reception.id}` };
    const first = await http.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: 'ok' }, lan, key);
    expect(first.status).toBe(200);
    // as if the process had died after the workflow applied it, before the answer was stored
    await env.db('idempotency_keys').where({ key: key['Idempotency-Key'] })
      .update({ status_code: null, body: null, lease_until: new Date(Date.now() - 1000) });
    const retry = await http.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: 'ok' }, lan, key);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(await env.db('dossier_events').where({ dossier_code: code, to_status: 2 })).toHaveLength(1);
    // another request (another key) for the same task is still refused
    const other = await http.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: 'ok' }, lan, { 'Idempotency-Key': 'other' });
    expect(other.status).toBe(409);
  });

  test('retried after its first request died before it was applied is applied now', async () => {
    const code = await submitted();
    const reception = await findTask(http, lan, code);
    const key = `died-${reception.id}`;
    const body = { outcome: 'accept', comment: 'ok' };
    // the first request took the key and died before reaching the workflow: its lease runs out
    const running = await http.post(`/api/tasks/${reception.id}/complete`, body, lan, { 'Idempotency-Key': key });
    expect(running.status).toBe(200);
    const stored = await env.db('idempotency_keys').where({ key }).first();
    await env.db('idempotency_keys').where({ key }).delete();
    const code2 = await submitted();
    const reception2 = await findTask(http, lan, code2);
    const url = `/api/tasks/${reception2.id}/complete`;
    await env.db('idempotency_keys').insert({ key, principal: stored.principal, request: fingerprintOf(url, body),
      lease_until: new Date(Date.now() + 60_000) });
    const early = await http.post(url, body, lan, { 'Idempotency-Key': key });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/still running/);
    await env.db('idempotency_keys').where({ key }).update({ lease_until: new Date(Date.now() - 1000) });
    const retry = await http.post(url, body, lan, { 'Idempotency-Key': key });
    expect(retry.status).toBe(200);
    expect(retry.body.dossier).toMatchObject({ code: code2, status: 4 });
    expect((await env.db('idempotency_keys').where({ key }).first()).status_code).toBe(200);
  });
});

function fingerprintOf(url: string, body: unknown): string {
  return createHash('sha256').update(`POST ${url}\n${JSON.stringify(body)}`).digest('hex');
}

test('a completion the workflow cannot answer in time (its worker gone) gets 503, and its retry with the same key goes through', async () => {
  const gone = await startTestEnv({ temporalWaitMs: 3000 });
  try {
    const goneHttp = httpClient(gone.apiUrl);
    const res = await goneHttp.post('/api/dossiers', birthRegistration());
    const code = res.body.code as string;
    const reception = await findTask(goneHttp, lan, code);
    gone.worker.shutdown();
    const key = { 'Idempotency-Key': `late-${reception.id}` };
    const started = Date.now();
    const late = await goneHttp.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: 'ok' }, lan, key);
    expect(late.status).toBe(503);
    expect(late.body.error.code).toBe('ServiceUnavailableError');
    expect(late.headers.get('retry-after')).toBe('2');
    expect(Date.now() - started).toBeLessThan(10_000);
    // a worker on the same task queue comes back: the retry with the same key attaches to the first Update
    const back = await createWorker({ db: gone.db, connection: await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! }),
      namespace: 'default', taskQueue: gone.taskQueue, workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
      documents: testDocuments(gone.db) });
    const running = back.run();
    try {
      const retry = await eventually(async () => {
        const r = await goneHttp.post(`/api/tasks/${reception.id}/complete`, { outcome: 'accept', comment: 'ok' }, lan, key);
        return r.status === 200 && r;
      }, 'the retried completion to go through', { tries: 60, intervalMs: 500 });
      expect(retry.body.dossier).toMatchObject({ code, status: 4 });
      expect(await gone.db('dossier_events').where({ dossier_code: code, to_status: 2 })).toHaveLength(1);
    } finally {
      back.shutdown();
      await running;
    }
  } finally {
    await gone.stop();
  }
});

test('a task the read model shows but the workflow has not opened (yet) gets 503 to retry while recent, 409 once old', async () => {
  const code = await submitted();
  const reception = await findTask(http, lan, code);
  // as a workflow task that died after writing the row would leave it, until the retried one opens it again
  const row = await env.db('tasks').where({ id: reception.id }).first();
  const ghost = { ...row, id: randomUUID(), step_id: 'ghost', iteration: 1, outcomes: JSON.stringify(row.outcomes), form: null };
  await env.db('tasks').insert(ghost);
  const recent = await http.post(`/api/tasks/${ghost.id}/complete`, { outcome: 'accept', comment: 'ok' }, lan);
  expect(recent.status).toBe(503);
  expect(recent.body.error.message).toMatch(/catching up/);
  await env.db('tasks').where({ id: ghost.id }).update({ created_at: new Date(Date.now() - 3600_000) });
  const old = await http.post(`/api/tasks/${ghost.id}/complete`, { outcome: 'accept', comment: 'ok' }, lan);
  expect(old.status).toBe(409);
  expect(old.body.error.code).toBe('TaskNotOpenError');
});

test('an event written again under its key (its first workflow task died) takes the values the history keeps', async () => {
  const code = await submitted();
  await findTask(http, lan, code);
  const activities = createDossierActivities({ db: env.db, calendarFor: async () => { throw new Error('unused'); } });
  const first = { dossierCode: code, key: 'wf-test-1', type: 'status', fromStatus: 1, toStatus: 2, actor: { username: 'lan' },
    reason: 'first attempt', at: '2026-12-01T03:00:00.000Z', dossier: { status: 2, appointmentAt: '2026-12-04T03:00:00.000Z' } };
  await activities.recordEvent(first);
  await activities.recordEvent({ ...first, reason: 'the attempt recorded', at: '2026-12-01T03:01:00.000Z',
    dossier: { status: 2, appointmentAt: '2026-12-04T03:01:00.000Z' } });
  const events = await env.db('dossier_events').where({ dossier_code: code, event_key: 'wf-test-1' });
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ reason: 'the attempt recorded' });
  expect(new Date(events[0].at).toISOString()).toBe('2026-12-01T03:01:00.000Z');
  expect(new Date((await dossierRow(code)).appointment_at).toISOString()).toBe('2026-12-04T03:01:00.000Z');
  // told once on each channel, not twice
  const told = await env.db('notifications').where({ dossier_code: code, event_key: 'wf-test-1' }).pluck('channel');
  expect(told.sort()).toEqual(['email', 'in-app', 'sms']);
  expect(await env.db('portal_outbox').join('dossier_events', 'dossier_events.id', 'portal_outbox.event_id')
    .where({ 'dossier_events.dossier_code': code, 'dossier_events.event_key': 'wf-test-1' })).toHaveLength(1);
});

describe('a submission', () => {
  /** A dossier registered as a submission registers it, whose run was never started (its process died in between). */
  async function registeredWithoutRun(submissionKey: string | null, submittedAt = new Date()): Promise<string> {
    const template = await dossierRow(await submitted());
    const code = `${template.code.slice(0, -6)}${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
    await env.db('dossiers').insert({ ...template, code, status: 1, current_steps: JSON.stringify([]), applicant: JSON.stringify(template.applicant),
      application: JSON.stringify(template.application), submission_key: submissionKey, submitted_at: submittedAt, accepted_at: null,
      appointment_at: null, attention: null });
    await env.db('dossier_events').insert({ dossier_code: code, event_key: 'submitted', type: 'status', to_status: 1, actor: 'applicant',
      actor_name: template.applicant.fullName, reason: 'Nộp hồ sơ (online)', at: submittedAt });
    return code;
  }

  test('retried with its key after its process died between registering the dossier and starting its run gets that dossier, now running', async () => {
    const key = `submit-${randomBytes(6).toString('hex')}`;
    const body = birthRegistration();
    const requestKey = createHash('sha256').update(`anonymous\n${key}`).digest('hex').slice(0, 32);
    const code = await registeredWithoutRun(requestKey);
    await env.db('idempotency_keys').insert({ key, principal: 'anonymous', request: fingerprintOf('/api/dossiers', body),
      lease_until: new Date(Date.now() - 1000) });
    const retry = await http.post('/api/dossiers', body, undefined, { 'Idempotency-Key': key });
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({ code, status: 1 });
    expect(await findTask(http, lan, code)).toMatchObject({ stepId: 'receive' });
    expect(await env.db('dossiers').where({ submission_key: requestKey })).toHaveLength(1);
  });

  test('left without a run and never retried is started by the recovery sweep', async () => {
    const code = await registeredWithoutRun(null, new Date(Date.now() - 5 * 60_000));
    const sweep = await http.post('/api/ops/recovery', {}, ops);
    expect(sweep.status).toBe(200);
    expect(sweep.body.started).toBeGreaterThanOrEqual(1);
    expect(await findTask(http, lan, code)).toMatchObject({ stepId: 'receive' });
    // a second pass finds nothing more to do for it
    await http.post('/api/ops/recovery', {}, ops);
    expect(await env.db('dossier_events').where({ dossier_code: code, type: 'task-opened' })).toHaveLength(1);
  });
});
