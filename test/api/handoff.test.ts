/**
 * Inter-agency handoffs over real HTTP with real PostgreSQL and Temporal: a joint procedure across two
 * agencies on the platform, with its hops recorded; an external partner (a real HTTP server started
 * here) that gets the signed package and answers by signed callback; one that never answers (the
 * step's timeout path); and one that cannot be reached at all (the dossier stops at the deadline).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { seedAccounts, seedRegistry } from '../../scripts/seed';
import { DEMO_PASSWORD, startTestEnv, TEST_SECRETS, type TestEnv } from '../support/env';
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
let hoa: string;
let son: string;

const PARTNER = 'UBND-XA-THUAN-HOA';
const TAX = 'CHI-CUC-THUE-KV1';
const JOINT_PARTNER = '9.900311';
const JOINT = '9.900312';
const EXTERNAL = '9.900313';
const EXTERNAL_STOP = '9.900314';

const base = { version: 1, serviceLevel: 'full-online', deadline: { workingDays: 10 }, fees: [],
  documents: [{ code: 'DON', name: 'Đơn đề nghị', required: true }], returnChannels: ['electronic', 'counter'] };
const receive = { id: 'receive', kind: 'reception', assignee: { unit: 'MOT-CUA', role: 'one-stop-officer' } };
const sign = { id: 'sign', kind: 'task', name: 'Ký duyệt', assignee: { unit: 'LANH-DAO', role: 'leader' }, outcomes: { approve: {} }, next: 'give' };

/** A partner agency's own process: its counter receives, its department reviews, the result goes back. */
const partnerProcedure = { ...base, code: JOINT_PARTNER, name: 'Xác nhận liên thông (phường Thuận Hòa)', agency: PARTNER,
  steps: [{ ...receive, next: 'review' },
    { id: 'review', kind: 'task', name: 'Xác nhận', assignee: { unit: 'DIA-CHINH', role: 'specialist' }, outcomes: { ok: {}, no: { stop: true } }, next: 'give' },
    { id: 'give', kind: 'return' }] };

const jointProcedure = { ...base, code: JOINT, name: 'Thủ tục liên thông hai phường', agency: 'UBND-XA-MY-BINH',
  steps: [{ ...receive, next: 'partner' },
    { id: 'partner', kind: 'handoff', name: 'Liên thông phường Thuận Hòa', to: { agency: PARTNER }, procedure: JOINT_PARTNER,
      deadline: { workingDays: 3 }, outcomes: { done: { next: 'sign' }, refused: { stop: true } } },
    sign, { id: 'give', kind: 'return' }] };

const externalProcedure = (endpoint: string) => ({ ...base, code: EXTERNAL, name: 'Thủ tục liên thông cơ quan thuế', agency: 'UBND-XA-MY-BINH',
  steps: [{ ...receive, next: 'tax' },
    { id: 'tax', kind: 'handoff', name: 'Xác định nghĩa vụ thuế', to: { agency: TAX }, endpoint, deadline: { iso: 'PT5S' },
      outcomes: { done: { next: 'sign' }, refused: { stop: true }, timeout: { next: 'chase' } } },
    { id: 'chase', kind: 'task', name: 'Đôn đốc cơ quan thuế', assignee: { unit: 'TU-PHAP', role: 'specialist' }, outcomes: { ok: {} }, next: 'sign' },
    sign, { id: 'give', kind: 'return' }] });

/** The partner server of a test: what it received, and how it answers. */
interface Partner {
  url: string;
  received: { headers: IncomingMessage['headers']; raw: string; body: any }[];
  server: Server;
  /** the statuses it answers the packages with, in turn (the last one from then on) */
  statuses: number[];
}

async function startPartner(statuses = [202]): Promise<Partner> {
  const partner = { received: [], statuses } as unknown as Partner;
  partner.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      partner.received.push({ headers: req.headers, raw, body: JSON.parse(raw) });
      const status = partner.statuses[Math.min(partner.received.length, partner.statuses.length) - 1];
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ reference: 'THUE-2026-000123' }));
    });
  });
  await new Promise<void>((r) => partner.server.listen(0, '127.0.0.1', () => r()));
  partner.url = `http://127.0.0.1:${(partner.server.address() as { port: number }).port}/lien-thong`;
  return partner;
}

const stops: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  env = await startTestEnv();
  await seedRegistry(env.db, { roles: [], agencies: [
    { code: PARTNER, name: 'Ủy ban nhân dân phường Thuận Hòa', nationalCode: '000.52.31.H01', units: [
      { code: 'MOT-CUA', name: 'Bộ phận Một cửa', slug: 'motcua-thuanhoa', kind: 'counter' },
      { code: 'DIA-CHINH', name: 'Địa chính - Xây dựng', slug: 'diachinh-thuanhoa', kind: 'department' },
      { code: 'LANH-DAO', name: 'Lãnh đạo UBND phường', slug: 'lanhdao-thuanhoa', kind: 'leadership' }] },
    { code: TAX, name: 'Chi cục Thuế khu vực I', nationalCode: '000.00.41.H01', units: [] },
  ] });
  await seedAccounts(env.db, { password: DEMO_PASSWORD, accounts: [
    { username: 'hoa.motcua-thuanhoa', fullName: 'Đặng Thị Hoa', agency: PARTNER, unit: 'MOT-CUA', roles: ['one-stop-officer'] },
    { username: 'son.diachinh-thuanhoa', fullName: 'Hồ Văn Sơn', agency: PARTNER, unit: 'DIA-CHINH', roles: ['specialist'] },
  ] });
  for (const def of [partnerProcedure, jointProcedure]) {
    await publishProcedure(env.db, def);
  }
  http = httpClient(env.apiUrl);
  [lan, binh, cuong, hoa, son] = await loginDemo(http, 'lan.motcua-mybinh', 'binh.tuphap-mybinh', 'cuong.lanhdao-mybinh',
    'hoa.motcua-thuanhoa', 'son.diachinh-thuanhoa');
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await env?.stop();
});

async function submit(procedureCode: string) {
  const res = await http.post('/api/dossiers', birthRegistration({ procedureCode, application: {},
    documents: [{ code: 'DON', fileName: 'don.pdf', mediaType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.4 đơn').toString('base64') }] }));
  expect(res.status).toBe(201);
  return res.body.code as string;
}

/** Publishes the external procedure (a new version per partner address). */
async function publishExternal(def: { code: string } & Record<string, unknown>) {
  const latest = await env.db('procedure_versions').where({ code: def.code }).max({ v: 'version' }).first();
  await publishProcedure(env.db, { ...def, version: Number(latest?.v ?? 0) + 1 });
}

function answer(url: string, body: object, secret = TEST_SECRETS.handoffSecret) {
  const raw = JSON.stringify(body);
  return fetch(url, { method: 'POST', body: raw, headers: { 'content-type': 'application/json',
    'X-Signature': `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}` } });
}

test('a joint procedure across two agencies on the platform completes with its hops recorded', async () => {
  const code = await submit(JOINT);
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'Hồ sơ đầy đủ' });
  const partner = await eventually(async () => (await env.db('dossiers').where({ parent_code: code }).first())?.code as string, 'the partner dossier');
  expect(partner.startsWith('000.52.31.H01-')).toBe(true);
  // the partner agency works its own dossier; the lead agency's officers cannot
  expect((await http.get(`/api/dossiers/${partner}`, lan)).status).toBe(403);
  await completeTask(http, hoa, partner, 'receive', { outcome: 'accept', comment: 'Tiếp nhận hồ sơ liên thông' });
  await completeTask(http, son, partner, 'review', { outcome: 'ok' });
  const finished = (await completeTask(http, cuong, code, 'sign', { outcome: 'approve' })).dossier;
  expect(finished.status).toBe(10);

  const view = (await http.get(`/api/dossiers/${code}`, lan)).body;
  expect(view.hops).toEqual([expect.objectContaining({
    kind: 'platform', stepId: 'partner', toAgency: PARTNER, partnerProcedure: JOINT_PARTNER, partnerDossier: partner,
    handedBy: 'lan.motcua-mybinh', receivedBy: 'hoa.motcua-thuanhoa', outcome: 'done', timing: 'early',
  })]);
  const hop = view.hops[0];
  for (const at of ['handedAt', 'receivedAt', 'returnedAt', 'dueAt']) expect(Date.parse(hop[at])).not.toBeNaN();
  expect(Date.parse(hop.handedAt)).toBeLessThanOrEqual(Date.parse(hop.receivedAt));
  expect(Date.parse(hop.receivedAt)).toBeLessThanOrEqual(Date.parse(hop.returnedAt));
  const returned = view.history.find((e: { type: string }) => e.type === 'handoff-returned');
  expect(returned.data).toMatchObject({ partnerDossier: partner, outcome: 'done', timing: 'early' });
  const partnerView = (await http.get(`/api/dossiers/${partner}`, hoa)).body;
  expect(partnerView).toMatchObject({ status: 10, parentCode: code, agency: PARTNER });
});

test('an external partner gets the signed package (again after a failure, with the same key) and its signed answer takes the done path', async () => {
  const partner = await startPartner([503, 202]);
  stops.push(() => new Promise((r) => partner.server.close(r)));
  await publishExternal(externalProcedure(partner.url));
  const code = await submit(EXTERNAL);
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'Hồ sơ đầy đủ' });
  await eventually(async () => partner.received[1], 'the package delivered');
  const [failed, pkg] = partner.received;
  expect(pkg.headers['idempotency-key']).toBe(`${code}:tax:1`);
  expect(failed.headers['idempotency-key']).toBe(`${code}:tax:1`);
  expect(failed.raw).toBe(pkg.raw);
  expect(pkg.headers['x-signature']).toBe(`sha256=${createHmac('sha256', TEST_SECRETS.handoffSecret).update(pkg.raw).digest('hex')}`);
  expect(pkg.body.dossier).toMatchObject({ code, procedure: { code: EXTERNAL }, agency: 'UBND-XA-MY-BINH' });
  expect(pkg.body.documents).toEqual([expect.objectContaining({ code: 'DON', fileName: 'don.pdf',
    contentBase64: Buffer.from('%PDF-1.4 đơn').toString('base64') })]);
  const { callbackUrl, id } = pkg.body.handoff;
  expect(callbackUrl).toBe(`${env.apiUrl}/api/handoffs/${id}/result`);
  await eventually(async () => (await env.db('handoffs').where({ id }).whereNotNull('sent_at').first()), 'the hop sent');

  // forged answers change nothing
  const result = { outcome: 'done', receivedBy: 'tiepnhan.thue-kv1', receivedAt: new Date().toISOString(), answeredBy: 'kiemtra.thue-kv1',
    data: { taxDue: 0 } };
  const unsigned = await fetch(callbackUrl, { method: 'POST', body: JSON.stringify(result), headers: { 'content-type': 'application/json' } });
  expect(unsigned.status).toBe(401);
  expect((await answer(callbackUrl, result, 'someone-elses-key-someone-elses-key')).status).toBe(403);
  const invalid = await answer(callbackUrl, { outcome: 'refused' });
  expect(invalid.status).toBe(422);
  expect(((await invalid.json()) as any).error.details).toEqual([expect.objectContaining({ path: '$.reason' })]);
  expect((await env.db('callback_log').where({ source: 'handoff', reference: id }).pluck('outcome')).sort())
    .toEqual(['bad-signature', 'invalid', 'unsigned']);

  const accepted = await answer(callbackUrl, result);
  expect(accepted.status).toBe(202);
  await completeTask(http, cuong, code, 'sign', { outcome: 'approve' });
  const view = (await http.get(`/api/dossiers/${code}`, lan)).body;
  expect(view.status).toBe(10);
  expect(view.hops).toEqual([expect.objectContaining({ id, kind: 'external', toAgency: TAX, endpoint: partner.url, handedBy: 'lan.motcua-mybinh',
    receivedBy: 'tiepnhan.thue-kv1', receivedAt: result.receivedAt, answeredBy: 'kiemtra.thue-kv1', outcome: 'done', timing: 'on-time' })]);
  const row = await env.db('handoffs').where({ id }).first();
  expect(row).toMatchObject({ idempotency_key: `${code}:tax:1`, partner_reference: 'THUE-2026-000123', result: { taxDue: 0 } });
  expect(view.history.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['handoff-sent', 'handoff-returned']));
  expect(partner.received).toHaveLength(2);
  // the handoff is closed: a late or repeated answer is refused
  const late = await answer(callbackUrl, result);
  expect(late.status).toBe(409);
  expect(((await late.json()) as any).error.code).toBe('HandoffClosedError');
  await keepHistory(env.client, 'external-handoff-done', code);
});

test('an external partner that never answers leads to the step\'s timeout path', async () => {
  const partner = await startPartner();
  stops.push(() => new Promise((r) => partner.server.close(r)));
  await publishExternal(externalProcedure(partner.url));
  const code = await submit(EXTERNAL);
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'Hồ sơ đầy đủ' });
  const pkg = await eventually(async () => partner.received[0], 'the package');
  // nobody answers; after the step's 5 seconds the specialist is asked to chase the partner
  const chase = await findTask(http, binh, code, 'chase');
  expect(chase).toBeDefined();
  const view = (await http.get(`/api/dossiers/${code}`, lan)).body;
  expect(view.status).toBe(4);
  expect(view.hops).toEqual([expect.objectContaining({ id: pkg.body.handoff.id, outcome: 'timeout', timing: 'late', receivedBy: null })]);
  const timeout = view.history.find((e: { type: string }) => e.type === 'handoff-timeout');
  expect(timeout).toMatchObject({ stepId: 'tax', actor: 'system' });
  expect(timeout.reason).toContain(TAX);
  const late = await answer(pkg.body.handoff.callbackUrl, { outcome: 'done' });
  expect(late.status).toBe(409);
  await completeTask(http, binh, code, 'chase', { outcome: 'ok' });
  expect((await completeTask(http, cuong, code, 'sign', { outcome: 'approve' })).dossier.status).toBe(10);
  await keepHistory(env.client, 'external-handoff-timeout', code);
});

test('a partner refusing the package (4xx) is not retried: the step takes its refused outcome with the partner\'s words', async () => {
  const partner = await startPartner([400]);
  stops.push(() => new Promise((r) => partner.server.close(r)));
  await publishExternal(externalProcedure(partner.url));
  const code = await submit(EXTERNAL);
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'Hồ sơ đầy đủ' });
  expect(await env.client.workflow.getHandle(code).result()).toEqual({ status: 8 });
  expect(partner.received).toHaveLength(1);
  const view = (await http.get(`/api/dossiers/${code}`, lan)).body;
  const stopped = view.history.filter((e: { type: string }) => e.type === 'status').pop();
  expect(stopped).toMatchObject({ toStatus: 8, stepId: 'tax' });
  expect(stopped.reason).toContain('THUE-2026-000123');
  expect(view.hops).toEqual([expect.objectContaining({ outcome: 'refused', sentAt: null })]);
});

test('with an unreachable partner and no timeout outcome, the dossier stops at the deadline with the reason', async () => {
  const closed = await startPartner();
  const url = closed.url;
  await new Promise((r) => closed.server.close(r));
  const def = externalProcedure(url);
  const tax = def.steps.find((s) => s.id === 'tax') as { outcomes: Record<string, object> };
  delete tax.outcomes.timeout;
  await publishExternal({ ...def, code: EXTERNAL_STOP, steps: def.steps.filter((s) => s.id !== 'chase') });
  const code = await submit(EXTERNAL_STOP);
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'Hồ sơ đầy đủ' });
  const result = await env.client.workflow.getHandle(code).result();
  expect(result).toEqual({ status: 8 });
  const view = (await http.get(`/api/dossiers/${code}`, lan)).body;
  const stopped = view.history.filter((e: { type: string }) => e.type === 'status').pop();
  expect(stopped).toMatchObject({ toStatus: 8, stepId: 'tax' });
  expect(stopped.reason).toContain('không trả lời');
  expect(view.hops).toEqual([expect.objectContaining({ kind: 'external', outcome: 'timeout', sentAt: null })]);
});

test('a timeout outcome needs an external partner and the step\'s deadline', async () => {
  const designer = await http.login('thietke.lanhdao-mybinh', DEMO_PASSWORD);
  const def = externalProcedure('https://thue.example.vn/lien-thong');
  const bad = { ...def, code: `9.9${randomUUID().slice(0, 5)}`, steps: def.steps.map((s) => (s.id === 'tax' ? { ...s, deadline: undefined } : s)) };
  const res = await http.post('/api/procedures/validate', JSON.parse(JSON.stringify(bad)), designer);
  expect(res.status).toBe(422);
  expect(res.body.error.details).toEqual([{ path: '$.steps[1].outcomes.timeout', message: 'a "timeout" outcome needs the step\'s "deadline"' }]);
  const joint = { ...jointProcedure, code: `9.9${randomUUID().slice(0, 5)}`,
    steps: jointProcedure.steps.map((s) => (s.id === 'partner' ? { ...s, outcomes: { ...(s as any).outcomes, timeout: { stop: true } } } : s)) };
  const res2 = await http.post('/api/procedures/validate', joint, designer);
  expect(res2.status).toBe(422);
  expect(res2.body.error.details).toEqual([{ path: '$.steps[1].outcomes.timeout', message: 'only a handoff to an external "endpoint" times out' }]);
  expect((await http.post('/api/procedures/validate', { ...def, code: `9.9${randomUUID().slice(0, 5)}` }, designer)).status).toBe(200);
});

test('a dossier stopped while an external partner has it: the hop is cancelled and the partner told, signed', async () => {
  const partner = await startPartner();
  stops.push(() => new Promise((r) => partner.server.close(r)));
  const def = externalProcedure(partner.url);
  await publishExternal({ ...def, code: '9.900315',
    steps: def.steps.map((s) => (s.id === 'tax' ? { ...s, deadline: { iso: 'PT1H' } } : s)) });
  const code = await submit('9.900315');
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'Hồ sơ đầy đủ' });
  const pkg = await eventually(async () => partner.received[0], 'the package');
  const stopped = await http.post(`/api/dossiers/${code}/stop`, { reason: 'Người nộp không đủ điều kiện' }, cuong);
  expect(stopped.status).toBe(200);
  expect(await env.client.workflow.getHandle(code).result()).toEqual({ status: 8 });

  const notice = await eventually(async () => partner.received[1], 'the cancellation');
  expect(notice.headers['idempotency-key']).toBe(`${code}:tax:1:cancel`);
  expect(notice.headers['x-signature']).toBe(`sha256=${createHmac('sha256', TEST_SECRETS.handoffSecret).update(notice.raw).digest('hex')}`);
  expect(notice.body).toMatchObject({ event: 'cancelled', handoff: { id: pkg.body.handoff.id, stepId: 'tax', iteration: 1 },
    dossier: { code, status: 8 }, reason: 'Người nộp không đủ điều kiện' });
  const view = (await http.get(`/api/dossiers/${code}`, lan)).body;
  expect(view.hops).toEqual([expect.objectContaining({ id: pkg.body.handoff.id, outcome: 'cancelled' })]);
  expect(view.history.find((e: { type: string }) => e.type === 'handoff-cancelled'))
    .toMatchObject({ stepId: 'tax', actor: 'cuong.lanhdao-mybinh', reason: 'Người nộp không đủ điều kiện' });
  // the partner's answer after the end is refused
  expect((await answer(pkg.body.handoff.callbackUrl, { outcome: 'done' })).status).toBe(409);
  await keepHistory(env.client, 'external-handoff-cancelled', code);
});
