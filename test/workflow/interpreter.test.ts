/**
 * The interpreter's paths on a real Temporal server with the real activities and PostgreSQL:
 * rework loops, supplements, refusal, stop, withdrawal, counter reception and concurrent completions.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { createDossierService } from '../../api/services/dossiers';
import { createProcedureService } from '../../api/services/procedures';
import { publishSamples } from '../../scripts/seed';
import { Validator } from '../../api/validation';
import { completeTaskUpdate, observeDossierUpdate, supplementSignal, withdrawSignal, getDossierQuery, type Actor } from '../../workflows/messages';
import { startTestEnv, type TestEnv } from '../support/env';
import { keepHistory } from '../support/histories';
import { birthRegistration } from '../support/factories';

let env: TestEnv;
let dossiers: ReturnType<typeof createDossierService>;

const lan: Actor = { username: 'lan.motcua-mybinh', fullName: 'Nguyễn Thị Lan' };
const binh: Actor = { username: 'binh.tuphap-mybinh' };
const cuong: Actor = { username: 'cuong.lanhdao-mybinh' };
const officer = { kind: 'officer' as const, username: lan.username, fullName: lan.fullName!, agency: 'UBND-XA-MY-BINH', unit: 'MOT-CUA', roles: ['one-stop-officer'] };

beforeAll(async () => {
  env = await startTestEnv({ api: false });
  await publishSamples(env.db);
  dossiers = createDossierService({ db: env.db, temporal: env.client, taskQueue: env.taskQueue,
    procedures: createProcedureService(env.db), validator: new Validator() });
});
afterAll(() => env?.stop());

async function submit(overrides: Record<string, unknown> = {}) {
  const principal = overrides.channel === 'counter' ? officer : undefined;
  const { code } = await dossiers.submit(birthRegistration(overrides), principal);
  return { code, handle: env.client.workflow.getHandle(code) };
}

async function openTask(code: string, stepId: string) {
  const view = await env.client.workflow.getHandle(code).executeUpdate(observeDossierUpdate);
  const task = view.openTasks.find((t) => t.stepId === stepId);
  if (!task) throw new Error(`no open ${stepId} task on ${code}: ${JSON.stringify(view)}`);
  return task.taskId;
}

async function complete(code: string, stepId: string, outcome: string, actor: Actor, comment?: string, data?: object) {
  const taskId = await openTask(code, stepId);
  return env.client.workflow.getHandle(code).executeUpdate(completeTaskUpdate,
    { args: [{ taskId, outcome, actor, comment, data: data as Record<string, unknown> }] });
}

async function statusHistory(code: string) {
  const rows = await env.db('dossier_events').where({ dossier_code: code, type: 'status' }).orderBy('id');
  return rows.map((r) => r.to_status);
}

test('a leader sends the file back: the review opens again, then the dossier completes', async () => {
  const { code, handle } = await submit();
  await complete(code, 'receive', 'accept', lan, 'ok');
  await complete(code, 'review', 'approve', binh, undefined, { documentsComplete: true });
  const back = await complete(code, 'sign', 'rework', cuong, 'Cần thẩm định lại');
  expect(back.currentSteps).toEqual(['review']);
  await complete(code, 'review', 'approve', binh, undefined, { documentsComplete: true });
  const done = await complete(code, 'sign', 'approve', cuong);
  expect(done.status).toBe(10);
  expect(await handle.result()).toEqual({ status: 10 });
  const reviews = await env.db('tasks').where({ dossier_code: code, step_id: 'review' }).orderBy('iteration');
  expect(reviews.map((t) => [t.iteration, t.state, t.completed_by])).toEqual([[1, 'completed', binh.username], [2, 'completed', binh.username]]);
  await keepHistory(env.client, 'rework-loop', code);
});

test('a supplement request pauses at status 5 and reopens the same step when the applicant supplements', async () => {
  const { code, handle } = await submit();
  await complete(code, 'receive', 'accept', lan, 'ok');
  const paused = await complete(code, 'review', 'missing', binh, 'Thiếu giấy chứng sinh bản chính');
  expect(paused.status).toBe(5);
  expect(paused.openTasks).toEqual([]);
  await handle.signal(supplementSignal, { actor: { username: 'applicant' }, note: 'Đã nộp giấy chứng sinh' });
  const view = await handle.executeUpdate(observeDossierUpdate);
  expect(view.status).toBe(4);
  expect(view.openTasks.map((t) => t.stepId)).toEqual(['review']);
  const row = await env.db('dossiers').where({ code }).first();
  expect(row.supplement_count).toBe(1);
  expect(await statusHistory(code)).toEqual([1, 2, 4, 5, 4]);
  await keepHistory(env.client, 'supplement-pause', code);
});

test('a refusal at reception needs reasons and ends the dossier at status 3', async () => {
  const { code, handle } = await submit();
  const noReason = complete(code, 'receive', 'refuse', lan);
  await expect(noReason).rejects.toThrow(WorkflowUpdateFailedError);
  const refused = await complete(code, 'receive', 'refuse', lan, 'Không thuộc thẩm quyền');
  expect(refused.status).toBe(3);
  expect(await handle.result()).toEqual({ status: 3 });
  expect(await statusHistory(code)).toEqual([1, 3]);
  await keepHistory(env.client, 'refusal', code);
});

test('a stop during processing ends at status 8 with the reasons recorded', async () => {
  const { code, handle } = await submit();
  await complete(code, 'receive', 'accept', lan, 'ok');
  await complete(code, 'review', 'ineligible', binh, 'Không đủ điều kiện');
  expect(await handle.result()).toEqual({ status: 8 });
  const last = await env.db('dossier_events').where({ dossier_code: code, type: 'status' }).orderBy('id', 'desc').first();
  expect(last).toMatchObject({ to_status: 8, actor: binh.username, reason: 'Không đủ điều kiện', step_id: 'review' });
  await keepHistory(env.client, 'stop-in-processing', code);
});

test('withdrawal while a task is open ends at status 7 and cancels the task', async () => {
  const { code, handle } = await submit();
  await complete(code, 'receive', 'accept', lan, 'ok');
  await handle.signal(withdrawSignal, { actor: { username: 'applicant' }, reason: 'Không còn nhu cầu' });
  expect(await handle.result()).toEqual({ status: 7 });
  const tasks = await env.db('tasks').where({ dossier_code: code }).orderBy('created_at');
  expect(tasks.map((t) => t.state)).toEqual(['completed', 'cancelled']);
  const row = await env.db('dossiers').where({ code }).first();
  expect(row.status).toBe(7);
  await keepHistory(env.client, 'withdrawal', code);
});

test('a counter dossier is accepted by the receiving officer at once', async () => {
  const { code } = await submit({ channel: 'counter' });
  const view = await env.client.workflow.getHandle(code).query(getDossierQuery);
  expect(view.status).toBe(4);
  expect(view.appointmentAt).toBeDefined();
  const accepted = await env.db('dossier_events').where({ dossier_code: code, to_status: 2 }).first();
  expect(accepted.actor).toBe(lan.username);
  await keepHistory(env.client, 'counter-reception', code);
});

test('two officers completing one task at once: exactly one wins', async () => {
  const { code } = await submit();
  const taskId = await openTask(code, 'receive');
  const handle = env.client.workflow.getHandle(code);
  const attempts = await Promise.allSettled([lan, { username: 'other.motcua-mybinh' }].map((actor) =>
    handle.executeUpdate(completeTaskUpdate, { args: [{ taskId, outcome: 'accept', actor, comment: 'ok' }] })));
  expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
  const rejected = attempts.find((a) => a.status === 'rejected') as PromiseRejectedResult;
  expect(rejected.reason).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((rejected.reason as WorkflowUpdateFailedError).cause?.message).toMatch(/is not open/);
  const accepted = await env.db('dossier_events').where({ dossier_code: code, to_status: 2 });
  expect(accepted).toHaveLength(1);
  await keepHistory(env.client, 'concurrent-completion', code);
});

test('a dossier with many rework loops continues as new and stays healthy', async () => {
  const looping = createDossierService({ db: env.db, temporal: env.client, taskQueue: env.taskQueue,
    procedures: createProcedureService(env.db), validator: new Validator(), settings: { historyLimit: 60 } });
  const { code } = await looping.submit(birthRegistration(), undefined);
  const handle = env.client.workflow.getHandle(code);
  const firstRunId = (await handle.describe()).runId;
  await complete(code, 'receive', 'accept', lan, 'ok');
  for (let loop = 0; loop < 6; loop++) {
    await complete(code, 'review', 'approve', binh, undefined, { documentsComplete: true });
    await complete(code, 'sign', 'rework', cuong, `Lần ${loop + 1}: thẩm định lại`);
  }
  await complete(code, 'review', 'approve', binh, undefined, { documentsComplete: true });
  const done = await complete(code, 'sign', 'approve', cuong);
  expect(done.status).toBe(10);
  expect((await env.client.workflow.getHandle(code, firstRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
  const last = await handle.describe();
  expect(last.runId).not.toBe(firstRunId);
  expect(last.historyLength).toBeLessThan(200);
  const reviews = await env.db('tasks').where({ dossier_code: code, step_id: 'review' }).orderBy('iteration');
  expect(reviews.map((t) => t.iteration)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  expect(await statusHistory(code)).toEqual([1, 2, 4, 9, 10]);
  const keys = await env.db('dossier_events').where({ dossier_code: code }).pluck('event_key');
  expect(new Set(keys).size).toBe(keys.length);
  await keepHistory(env.client, 'continue-as-new', code);
});
