/**
 * GET /metrics: dossiers by status and open/overdue tasks read from planted rows, task completion
 * latency from a real completion through the API, activity failures from a real failing activity.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { randomBytes, randomUUID } from 'node:crypto';
import { publishSamples } from '../../scripts/seed';
import { DEMO_PASSWORD, startTestEnv, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { httpClient, type HttpClient } from '../support/http';

let env: TestEnv;
let http: HttpClient;

beforeAll(async () => {
  env = await startTestEnv();
  await publishSamples(env.db);
  http = httpClient(env.apiUrl);
});
afterAll(() => env?.stop());

/** The value of one sample of the exposition text, matched on its name and exact label set; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort())) return Number(m[3]);
  }
  return undefined;
}

async function scrape(): Promise<string> {
  const res = await fetch(`${env.apiUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

test('dossiers by status and open/overdue tasks are read from the database at scrape time', async () => {
  const { db } = env;
  const tag = randomBytes(3).toString('hex').toUpperCase();
  const agency = `MT-${tag}`;
  await db('agencies').insert({ code: agency, name: `Cơ quan đo ${tag}`, national_code: `000.98.${tag}` });
  const version = (await db('procedure_versions').where({ code: '1.001193' }).first('version')).version;
  const statuses = [4, 4, 10, 5];
  const codes: string[] = [];
  for (const [i, status] of statuses.entries()) {
    const code = `${agency}-261123-${String(i + 1).padStart(4, '0')}`;
    codes.push(code);
    await db('dossiers').insert({ code, procedure_code: '1.001193', procedure_version: version, procedure_name: 'Đăng ký khai sinh',
      agency_code: agency, channel: 'online', code_rule: 'TT01-2018', applicant: '{}', application: '{}', status, submitted_at: new Date() });
  }
  const hour = 3600_000;
  const tasks = [
    { unit: 'A', state: 'open', due: -hour },
    { unit: 'A', state: 'claimed', due: -2 * hour },
    { unit: 'A', state: 'open', due: 24 * hour },
    { unit: 'A', state: 'open', due: null },
    { unit: 'A', state: 'completed', due: -hour },
    { unit: 'B', state: 'open', due: 48 * hour },
    { unit: 'B', state: 'cancelled', due: -hour },
  ];
  for (const [i, t] of tasks.entries()) {
    await db('tasks').insert({ id: randomUUID(), dossier_code: codes[0], step_id: `s${i}`, iteration: 1, step_kind: 'task', step_name: 'Bước',
      procedure_code: '1.001193', agency_code: agency, unit_code: t.unit, role: 'specialist', state: t.state,
      due_at: t.due === null ? null : new Date(Date.now() + t.due), outcomes: '{}' });
  }

  let text = await scrape();
  expect(sample(text, 'onestop_dossiers', { agency, status: '4' })).toBe(2);
  expect(sample(text, 'onestop_dossiers', { agency, status: '10' })).toBe(1);
  expect(sample(text, 'onestop_dossiers', { agency, status: '5' })).toBe(1);
  expect(sample(text, 'onestop_dossiers', { agency, status: '1' })).toBeUndefined();
  expect(sample(text, 'onestop_tasks_open', { agency, unit: 'A' })).toBe(4);
  expect(sample(text, 'onestop_tasks_overdue', { agency, unit: 'A' })).toBe(2);
  expect(sample(text, 'onestop_tasks_open', { agency, unit: 'B' })).toBe(1);
  expect(sample(text, 'onestop_tasks_overdue', { agency, unit: 'B' })).toBe(0);

  // the next scrape sees the change
  await db('dossiers').where({ code: codes[3] }).update({ status: 4 });
  await db('tasks').where({ agency_code: agency, unit_code: 'B', state: 'open' }).update({ state: 'completed' });
  text = await scrape();
  expect(sample(text, 'onestop_dossiers', { agency, status: '4' })).toBe(3);
  expect(sample(text, 'onestop_dossiers', { agency, status: '5' })).toBeUndefined();
  expect(sample(text, 'onestop_tasks_open', { agency, unit: 'B' })).toBeUndefined();
});

test('a task completed through the API is observed in the completion latency histogram', async () => {
  const lan = await http.login('lan.motcua-mybinh', DEMO_PASSWORD);
  const submitted = await http.post('/api/dossiers', birthRegistration());
  expect(submitted.status).toBe(201);
  let task: { id: string } | undefined;
  for (let i = 0; i < 100 && !task; i++) {
    task = await env.db('tasks').where({ dossier_code: submitted.body.code, state: 'open' }).first('id');
    if (!task) await new Promise((r) => setTimeout(r, 100));
  }
  // opened two hours ago: the observation lands between the 1 h and 4 h buckets
  await env.db('tasks').where({ id: task!.id }).update({ created_at: new Date(Date.now() - 2 * 3600_000) });
  const done = await http.post(`/api/tasks/${task!.id}/complete`, { outcome: 'accept', comment: 'Hồ sơ đầy đủ' }, lan);
  expect(done.status).toBe(200);

  const text = await scrape();
  const labels = { procedure: '1.001193', agency: 'UBND-XA-MY-BINH', unit: 'MOT-CUA' };
  expect(sample(text, 'onestop_task_completion_seconds_count', labels)).toBe(1);
  expect(sample(text, 'onestop_task_completion_seconds_bucket', { ...labels, le: '3600' })).toBe(0);
  expect(sample(text, 'onestop_task_completion_seconds_bucket', { ...labels, le: '14400' })).toBe(1);
  const sum = sample(text, 'onestop_task_completion_seconds_sum', labels)!;
  expect(sum).toBeGreaterThanOrEqual(7200);
  expect(sum).toBeLessThan(14_400);
});

test('a failing activity attempt is counted by activity and error type', async () => {
  const before = sample(await scrape(), 'onestop_activity_failures_total', { activity: 'produceLateList', type: 'InvalidMonthError' }) ?? 0;
  const run = env.client.workflow.execute('lateListWorkflow', { taskQueue: env.taskQueue, workflowId: `late-list-bad-${randomUUID()}`,
    args: [{ month: '2026-13', producedBy: 'test' }] });
  await expect(run).rejects.toBeInstanceOf(WorkflowFailedError);
  const text = await scrape();
  expect(sample(text, 'onestop_activity_failures_total', { activity: 'produceLateList', type: 'InvalidMonthError' })).toBe(before + 1);
  expect(text).toContain('# TYPE onestop_activity_failures_total counter');
});

test('the OpenAPI document describes the report routes and /metrics', async () => {
  const doc = (await http.get('/api/openapi.json')).body;
  for (const p of ['/api/reports/punctuality', '/api/reports/indicators', '/api/reports/late', '/metrics']) {
    expect(doc.paths[p]).toBeDefined();
  }
  expect(doc.paths['/api/reports/punctuality'].get.parameters.map((p: { name: string }) => p.name))
    .toEqual(['from', 'to', 'groupBy', 'agency', 'dueSoonHours', 'format']);
  expect(Object.keys(doc.paths['/api/reports/punctuality'].get.responses[200].content)).toEqual(['application/json', 'text/csv']);
  expect(doc.paths['/api/reports/late'].post.security).toEqual([{ bearer: [] }]);
  const page = await fetch(`${env.apiUrl}/api/docs/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('swagger-ui');
});
