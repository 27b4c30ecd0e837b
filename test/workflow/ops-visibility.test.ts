/**
 * What ops rely on, on a real Temporal server: a worker restarted in the middle of a wait changes
 * nothing, and dossiers are found by their search attributes with the queries the README gives,
 * while no personal data reaches search attributes, the summary or the current details.
 */
import { createDossierService } from '../../api/services/dossiers';
import { createProcedureService } from '../../api/services/procedures';
import { publishSamples } from '../../scripts/seed';
import { Validator } from '../../api/validation';
import { createWorker } from '../../worker';
import { completeTaskUpdate, getDossierQuery, observeDossierUpdate, type Actor } from '../../workflows/messages';
import { NativeConnection } from '@temporalio/worker';
import { startTestEnv, testDocuments, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { keepHistory } from '../support/histories';

let env: TestEnv;
let dossiers: ReturnType<typeof createDossierService>;

const CODE = '9.900003';
const definition = {
  code: CODE, version: 1, name: 'Thủ tục thử niêm yết', agency: 'UBND-XA-MY-BINH', serviceLevel: 'full-online',
  deadline: { workingDays: 20 },
  documents: [{ code: 'DON', name: 'Đơn đề nghị', required: true }],
  returnChannels: ['electronic'],
  steps: [
    { id: 'receive', kind: 'reception', assignee: { unit: 'MOT-CUA', role: 'one-stop-officer' }, next: 'post' },
    { id: 'post', kind: 'wait', name: 'Niêm yết công khai', duration: { iso: 'PT4S' }, next: 'give' },
    { id: 'give', kind: 'return' },
  ],
};
const lan: Actor = { username: 'lan.motcua-mybinh', fullName: 'Nguyễn Thị Lan' };

beforeAll(async () => {
  env = await startTestEnv({ api: false });
  await publishSamples(env.db);
  const procedures = createProcedureService(env.db);
  await procedures.upload(definition, 'test');
  await procedures.publish(CODE, 1, 'test');
  dossiers = createDossierService({ db: env.db, temporal: env.client, taskQueue: env.taskQueue, procedures, validator: new Validator() });
});
afterAll(() => env?.stop());

async function accept(code: string) {
  const handle = env.client.workflow.getHandle(code);
  const view = await handle.executeUpdate(observeDossierUpdate);
  const taskId = view.openTasks.find((t) => t.stepId === 'receive')!.taskId;
  return handle.executeUpdate(completeTaskUpdate, { args: [{ taskId, outcome: 'accept', actor: lan, comment: 'Đủ hồ sơ' }] });
}

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, tries = 150): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('ops find dossiers by search attributes, and no personal data goes there', async () => {
  const applicant = birthRegistration();
  const { code } = await dossiers.submit(applicant, undefined);
  await accept(code);
  const handle = env.client.workflow.getHandle(code);
  const described = await eventually(async () => {
    const d = await handle.describe();
    return d.typedSearchAttributes.getAll().some((p) => p.key.name === 'DossierStatus' && p.value === '4') ? d : undefined;
  }, 'status 4 in the search attributes');

  const attributes = Object.fromEntries(described.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]));
  expect(attributes).toMatchObject({ DossierCode: code, ProcedureCode: '1.001193', ProcedureVersion: 1, AgencyCode: 'UBND-XA-MY-BINH',
    DossierStatus: '4', CurrentStep: 'review', Overdue: false });
  const row = await env.db('dossiers').where({ code }).first();
  expect((attributes.AppointmentAt as Date).toISOString()).toBe(new Date(row.appointment_at).toISOString());

  const summary = await described.staticSummary();
  const details = await described.staticDetails();
  const current = (await env.client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: code } }))
    .executionConfig?.userMetadata?.details;
  const exposed = JSON.stringify({ attributes, summary, details, current, memo: described.memo });
  expect(summary).toContain('Đăng ký khai sinh');
  for (const secret of [applicant.applicant.fullName, applicant.applicant.idNumber, applicant.applicant.email, applicant.applicant.phone,
    'Nguyễn Minh Khang', '089190000123']) {
    expect(exposed).not.toContain(secret);
  }

  const later = new Date(Date.parse(row.appointment_at) + 60_000).toISOString();
  const query = `DossierStatus = "4" AND AppointmentAt < "${later}" AND DossierCode = "${code}"`;
  const found = await eventually(async () => {
    const ids: string[] = [];
    for await (const wf of env.client.workflow.list({ query })) ids.push(wf.workflowId);
    return ids.length ? ids : undefined;
  }, `the dossier by "${query}"`);
  expect(found).toEqual([code]);
  const earlier = new Date(Date.parse(row.appointment_at) - 60_000).toISOString();
  const none: string[] = [];
  for await (const wf of env.client.workflow.list({ query: `DossierCode = "${code}" AND AppointmentAt < "${earlier}"` })) none.push(wf.workflowId);
  expect(none).toEqual([]);
});

test('a worker restarted in the middle of a wait changes nothing', async () => {
  const applicant = birthRegistration({ procedureCode: CODE, application: {} });
  const { code } = await dossiers.submit(applicant, undefined);
  await accept(code);
  const handle = env.client.workflow.getHandle(code);
  await eventually(async () => ((await handle.query(getDossierQuery)).currentSteps.includes('post') ? true : undefined), 'the wait');

  // no worker while the posting period runs out
  env.worker.shutdown();
  await new Promise((r) => setTimeout(r, 5000));
  expect(await env.db('dossiers').where({ code }).first()).toMatchObject({ status: 4, current_steps: ['post'] });

  const connection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  const worker = await createWorker({ db: env.db, connection, namespace: 'default', taskQueue: env.taskQueue,
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! }, documents: testDocuments(env.db) });
  await worker.runUntil(async () => {
    expect(await handle.result()).toEqual({ status: 10 });
    await keepHistory(env.client, 'wait-worker-restart-local-activities', code);
  });
  await connection.close();

  const events = await env.db('dossier_events').where({ dossier_code: code }).orderBy('id');
  expect(events.filter((e) => e.type === 'status').map((e) => e.to_status)).toEqual([1, 2, 4, 9, 10]);
  expect(events.filter((e) => e.type === 'wait-started')).toHaveLength(1);
  const row = await env.db('dossiers').where({ code }).first();
  expect(row.status).toBe(10);
}, 60_000);
