/**
 * Synchronizing status changes to the national portal through the outbox: real PostgreSQL, Temporal
 * and HTTP, with a real HTTP server standing in for the portal (and, last, the platform's own local
 * receiver, as in the embedded default).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import { createCalendarStore } from '../../stores/calendar-store';
import { createDossierActivities } from '../../activities/dossier-activities';
import { createNotificationActivities } from '../../activities/notifications';
import { publishSamples } from '../../scripts/seed';
import { loadConfig } from '../../lib/config';
import type { DispatcherLoop } from '../../lib/outbox';
import { startDispatchers } from '../../stores/outbox-dispatchers';
import { startPortalDispatcher } from '../../stores/outbox-portal';
import { createHttpPortal, type PortalStatusChange } from '../../lib/portal';
import { startTestEnv, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { httpClient, type HttpClient } from '../support/http';
import { completeTask, eventually, loginDemo } from '../support/tasks';

let env: TestEnv;
let http: HttpClient;
let lan: string;
let binh: string;
let cuong: string;
let ops: string;

interface Delivery { change: PortalStatusChange; answered: number; orderOk: boolean }
/** Every request the test portal got, in arrival order, and the keys it acknowledged, in order. */
const deliveries: Delivery[] = [];
const acknowledged: string[] = [];
/** How the test portal answers the n-th request (1-based) it gets for a dossier. */
let answer: (change: PortalStatusChange, nth: number) => number = () => 200;
let portal: Server;
let portalUrl: string;
let dispatcher: DispatcherLoop | undefined;
const logLines: Record<string, unknown>[] = [];
const log = pino({ level: 'info' }, { write: (line: string) => { logLines.push(JSON.parse(line)); } });

beforeAll(async () => {
  env = await startTestEnv();
  await publishSamples(env.db);
  http = httpClient(env.apiUrl);
  [lan, binh, cuong, ops] = await loginDemo(http, 'lan.motcua-mybinh', 'binh.tuphap-mybinh', 'cuong.lanhdao-mybinh', 'thietke.lanhdao-mybinh');
  portal = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const change = JSON.parse(body) as PortalStatusChange;
      const nth = deliveries.filter((d) => d.change.dossierCode === change.dossierCode).length + 1;
      const status = answer(change, nth);
      const orderOk = change.sequence === 1 || acknowledged.includes(`${change.dossierCode}:${change.sequence - 1}`);
      deliveries.push({ change, answered: status, orderOk });
      if (status === 200 && !acknowledged.includes(change.receiverKey)) acknowledged.push(change.receiverKey);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status === 200 }));
    });
  });
  await new Promise<void>((resolve) => portal.listen(0, '127.0.0.1', resolve));
  portalUrl = `http://127.0.0.1:${(portal.address() as { port: number }).port}/receive`;
});
afterEach(async () => {
  await dispatcher?.stop();
  dispatcher = undefined;
});
afterAll(async () => {
  await new Promise((resolve) => (portal ? portal.close(resolve) : resolve(undefined)));
  await env?.stop();
});

function startDispatcher(url = portalUrl, retry = { maxAttempts: 6, maxMs: 300 }) {
  dispatcher = startPortalDispatcher({ db: env.db, log, portal: createHttpPortal({ url, timeoutMs: 5000 }),
    retry: { baseMs: 50, ...retry }, pollMs: 50 });
}

async function statusChanges(code: string): Promise<number[]> {
  const history = (await http.get(`/api/dossiers/${code}`, lan)).body.history as { type: string; toStatus: number }[];
  return history.filter((e) => e.type === 'status').map((e) => e.toStatus);
}

const forDossier = (code: string) => deliveries.filter((d) => d.change.dossierCode === code);

test('the portal gets every status change exactly once per sequence number, in order, although it fails twice first', async () => {
  answer = (_change, nth) => (nth <= 2 ? 503 : 200);
  const { body } = await http.post('/api/dossiers', birthRegistration());
  const code: string = body.code;
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'Hồ sơ đầy đủ' });
  // three changes wait in the outbox when the portal first fails
  startDispatcher();
  await completeTask(http, binh, code, 'review', { outcome: 'missing', comment: 'Thiếu giấy chứng sinh' });
  expect((await http.post(`/api/dossiers/${code}/supplement`, { note: 'Đã bổ sung' }, body.applicantToken)).body.status).toBe(4);
  await completeTask(http, binh, code, 'review', { outcome: 'approve', data: { documentsComplete: true, note: 'Đủ điều kiện' } });
  expect((await completeTask(http, cuong, code, 'sign', { outcome: 'approve' })).dossier.status).toBe(10);

  const statuses = await statusChanges(code);
  expect(statuses).toEqual([1, 2, 4, 5, 4, 9, 10]);
  const keys = statuses.map((_s, i) => `${code}:${i + 1}`);
  await eventually(async () => keys.every((k) => acknowledged.includes(k)), 'every change acknowledged');

  const got = forDossier(code);
  expect(got.slice(0, 2).map((d) => [d.change.receiverKey, d.answered])).toEqual([[`${code}:1`, 503], [`${code}:1`, 503]]);
  const accepted = got.filter((d) => d.answered === 200);
  expect(accepted.map((d) => d.change.receiverKey)).toEqual(keys);
  expect(accepted.map((d) => d.change.status)).toEqual(statuses);
  expect(accepted.map((d) => d.change.previousStatus)).toEqual([null, 1, 2, 4, 5, 4, 9]);
  expect(got).toHaveLength(keys.length + 2);
  expect(got.every((d) => d.orderOk)).toBe(true);
  expect(accepted[6].change).toMatchObject({ receiverKey: `${code}:7`, dossierCode: code, sequence: 7, status: 10, statusLabel: 'Đã trả kết quả',
    procedureCode: '1.001193', agencyCode: '000.31.31.H01' });
  expect(accepted[3].change.reason).toBe('Thiếu giấy chứng sinh');

  const outbox = await http.get(`/api/sync/outbox?dossier=${encodeURIComponent(code)}`, ops);
  expect(outbox.status).toBe(200);
  expect(outbox.body.items.map((r: { sequence: number; state: string; attempts: number }) => [r.sequence, r.state, r.attempts]))
    .toEqual(keys.map((_k, i) => [i + 1, 'delivered', i === 0 ? 3 : 1]));
  expect((await http.get('/api/sync/outbox', lan)).status).toBe(403);
});

test('a portal that keeps failing: the row is flagged stuck (API and log), later changes wait, and a retry delivers them in order', async () => {
  const { body } = await http.post('/api/dossiers', birthRegistration());
  const code: string = body.code;
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'ok' });
  expect(await statusChanges(code)).toEqual([1, 2, 4]);
  answer = (change) => (change.dossierCode === code ? 500 : 200);
  // once stuck, a row is retried at the longest interval (here longer than the test waits): only the retry brings it through
  startDispatcher(portalUrl, { maxAttempts: 3, maxMs: 600_000 });

  const stuck = await eventually(async () => {
    const res = await http.get(`/api/sync/outbox?state=stuck&dossier=${encodeURIComponent(code)}`, ops);
    return res.body.items[0];
  }, 'the first change to be stuck');
  expect(stuck).toMatchObject({ receiverKey: `${code}:1`, sequence: 1, toStatus: 1, state: 'stuck', attempts: 3 });
  expect(stuck.lastError).toContain('the portal answered 500');
  expect(logLines).toEqual(expect.arrayContaining([expect.objectContaining({ level: 40, receiverKey: `${code}:1`,
    msg: "portal sync stuck: the dossier's later status changes wait for this one" })]));
  const waiting = await http.get(`/api/sync/outbox?state=pending&dossier=${encodeURIComponent(code)}`, ops);
  expect(waiting.body.items.map((r: { sequence: number; attempts: number }) => [r.sequence, r.attempts])).toEqual([[2, 0], [3, 0]]);
  expect(forDossier(code).every((d) => d.change.sequence === 1)).toBe(true);
  const all = await http.get('/api/sync/outbox?state=stuck', ops);
  expect(all.body.counts.stuck).toBeGreaterThanOrEqual(1);

  answer = () => 200;
  expect((await http.post(`/api/sync/outbox/${stuck.id}/retry`, {}, lan)).status).toBe(403);
  const retry = await http.post(`/api/sync/outbox/${stuck.id}/retry`, {}, ops);
  expect(retry.status).toBe(200);
  await eventually(async () => [1, 2, 3].every((n) => acknowledged.includes(`${code}:${n}`)), 'the three changes acknowledged');
  expect(forDossier(code).filter((d) => d.answered === 200).map((d) => d.change.sequence)).toEqual([1, 2, 3]);
  const again = await http.post(`/api/sync/outbox/${stuck.id}/retry`, {}, ops);
  expect(again.status).toBe(409);
  expect(again.body.error.code).toBe('AlreadyDeliveredError');
  expect((await http.post('/api/sync/outbox/0/retry', {}, ops)).status).toBe(400);
});

test('the local receiver of the embedded default keeps each change once, and refuses gaps and bad input', async () => {
  startDispatcher(`${env.apiUrl}/api/local-portal/receive`);
  const { body } = await http.post('/api/dossiers', birthRegistration());
  const code: string = body.code;
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'ok' });
  const received = await eventually(async () => {
    const res = await http.get(`/api/local-portal/received?dossier=${encodeURIComponent(code)}`, ops);
    return res.body.items.length === 3 ? res.body.items : undefined;
  }, 'the three changes at the local receiver');
  expect(received.map((r: { receiverKey: string; deliveries: number }) => [r.receiverKey, r.deliveries]))
    .toEqual([[`${code}:1`, 1], [`${code}:2`, 1], [`${code}:3`, 1]]);
  expect(received[2].payload).toMatchObject({ status: 4, statusLabel: 'Đang xử lý', previousStatus: 2 });

  const first = received[0].payload;
  const repeated = await http.post('/api/local-portal/receive', first);
  expect(repeated.body).toEqual({ receiverKey: `${code}:1`, duplicate: true });
  const rows = await env.db('local_portal_receipts').where({ dossier_code: code }).orderBy('sequence');
  expect(rows.map((r) => r.deliveries)).toEqual([2, 1, 1]);

  const gap = await http.post('/api/local-portal/receive', { ...first, sequence: 9, receiverKey: `${code}:9` });
  expect(gap.status).toBe(409);
  expect(gap.body.error.code).toBe('OutOfOrderError');
  const wrongKey = await http.post('/api/local-portal/receive', { ...first, receiverKey: `${code}:2` });
  expect(wrongKey.status).toBe(422);
  expect(wrongKey.body.error.details).toEqual([{ path: '$.receiverKey', message: `must be "${code}:1" (dossier code:sequence)` }]);
  const bad = await http.post('/api/local-portal/receive', { dossierCode: code, sequence: 0, status: 11 });
  expect(bad.status).toBe(422);
  expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['$.at', '$.receiverKey', '$.sequence', '$.status']);
});

test('a retried activity does no harm twice: one status event, one notification per channel, one portal row', async () => {
  const { body } = await http.post('/api/dossiers', birthRegistration());
  const code: string = body.code;
  const activities = createDossierActivities({ db: env.db, calendarFor: createCalendarStore(env.db).calendarFor });
  const event = { dossierCode: code, key: 'retry-test-1', type: 'status', fromStatus: 1, toStatus: 3, actor: { username: 'lan.motcua-mybinh' },
    reason: 'Không thuộc thẩm quyền', at: new Date().toISOString(), dossier: { status: 3 } };
  await activities.recordEvent(event);
  await activities.recordEvent(event);
  expect(await env.db('dossier_events').where({ dossier_code: code, event_key: 'retry-test-1' })).toHaveLength(1);
  const notes = await env.db('notifications').where({ dossier_code: code, template: 'refused' }).orderBy('channel');
  expect(notes.map((n) => n.channel)).toEqual(['email', 'in-app', 'sms']);
  const rows = await env.db('portal_outbox').where({ dossier_code: code }).orderBy('sequence');
  expect(rows.map((r) => [r.receiver_key, r.state])).toEqual([[`${code}:1`, 'pending'], [`${code}:2`, 'pending']]);

  const { notify } = createNotificationActivities({ db: env.db });
  const tell = { key: `${code}:tell:1`, dossierCode: code, to: { applicant: true as const }, template: 'handoff-started',
    channels: ['email' as const, 'in-app' as const], data: { stepName: 'Liên thông' } };
  await notify(tell);
  await notify(tell);
  expect(await env.db('notifications').where({ dossier_code: code, template: 'handoff-started' })).toHaveLength(2);
  const failure = await notify({ ...tell, template: 'hello' }).catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'UnknownTemplateError', nonRetryable: true });
});

test('the embedded default as npm start wires it: mail kept as .eml files, status changes at the local receiver', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'delivery-'));
  const config = loadConfig({ DATA_DIR: dataDir, OUTBOX_POLL_MS: '50', OUTBOX_RETRY_BASE_MS: '50' });
  const started = await startDispatchers(config, { db: env.db, log, apiUrl: env.apiUrl });
  try {
    expect(started).toMatchObject({ mail: join(dataDir, 'mail'), portalUrl: `${env.apiUrl}/api/local-portal/receive` });
    const email = `hoa.${randomUUID().slice(0, 8)}@example.vn`;
    const { body } = await http.post('/api/dossiers', birthRegistration({ applicant: { fullName: 'Lê Thị Hoa', idNumber: '089190000123', email } }));
    const code: string = body.code;
    await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'ok' });
    const file = await eventually(async () =>
      readdirSync(join(dataDir, 'mail')).map((f) => readFileSync(join(dataDir, 'mail', f), 'utf8')).find((m) => m.includes(`To: ${email}`)), 'the acceptance mail in the folder');
    expect(file).toContain('Content-Type: text/html');
    const received = await eventually(async () => {
      const res = await http.get(`/api/local-portal/received?dossier=${encodeURIComponent(code)}`, ops);
      return res.body.items.length === 3 ? res.body.items : undefined;
    }, 'the changes at the local receiver');
    expect(received.map((r: { payload: { status: number } }) => r.payload.status)).toEqual([1, 2, 4]);
  } finally {
    await started.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
