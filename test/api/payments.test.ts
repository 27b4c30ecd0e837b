/**
 * Fees over real HTTP with real PostgreSQL and Temporal: the local provider's payment page and its
 * signed callback (tampered and unsigned ones refused, a replay without a second effect), receipts,
 * the result held back until every before-return fee is paid, and the daily reconciliation (on demand
 * and from its Temporal Schedule) finding planted discrepancies.
 */
import { randomUUID } from 'node:crypto';
import { signBody } from '../../lib/integrations';
import { vietnamDay } from '../../lib/payments/provider';
import { ensureReconciliationSchedule } from '../../lib/schedules/reconciliation';
import { startTestEnv, TEST_SECRETS, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { keepHistory } from '../support/histories';
import { httpClient, type HttpClient } from '../support/http';
import { completeTask, eventually, loginDemo } from '../support/tasks';
import { publishProcedure } from '../support/procedures';

let env: TestEnv;
let http: HttpClient;
let lan: string;
let binh: string;
let cuong: string;

const CODE = '9.900301';
const definition = {
  code: CODE, version: 1, name: 'Thủ tục thử thu phí trước khi trả kết quả', agency: 'UBND-XA-MY-BINH', serviceLevel: 'full-online',
  deadline: { workingDays: 5 },
  fees: [
    { code: 'LE-PHI', name: 'Lệ phí', amount: 20000, collect: 'before-return' },
    { code: 'PHI-SAO', name: 'Phí cấp bản sao', amount: 8000, collect: 'before-return' },
  ],
  documents: [{ code: 'DON', name: 'Đơn đề nghị', required: true }],
  returnChannels: ['electronic', 'counter'],
  steps: [
    { id: 'receive', kind: 'reception', assignee: { unit: 'MOT-CUA', role: 'one-stop-officer' }, next: 'review' },
    { id: 'review', kind: 'task', name: 'Thẩm định', assignee: { unit: 'TU-PHAP', role: 'specialist' }, outcomes: { approve: {} }, next: 'pay' },
    // the applicant gets a second to pay here; unpaid, the dossier goes on and the return step must hold the result back
    { id: 'pay', kind: 'payment', fees: ['LE-PHI', 'PHI-SAO'], deadline: { iso: 'PT1S' }, next: 'give' },
    { id: 'give', kind: 'return' },
  ],
};

beforeAll(async () => {
  env = await startTestEnv();
  await publishProcedure(env.db, definition);
  http = httpClient(env.apiUrl);
  [lan, binh, cuong] = await loginDemo(http, 'lan.motcua-mybinh', 'binh.tuphap-mybinh', 'cuong.lanhdao-mybinh');
});
afterAll(() => env?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A dossier of the test procedure, at its return step with both fees unpaid (status 6, both fees offered online). */
async function dossierAwaitingFees() {
  const submitted = await http.post('/api/dossiers', birthRegistration({ procedureCode: CODE, application: {} }));
  expect(submitted.status).toBe(201);
  const { code } = submitted.body;
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'Hồ sơ đầy đủ' });
  await completeTask(http, binh, code, 'review', { outcome: 'approve' });
  let view = await http.get(`/api/dossiers/${code}`, lan);
  for (let i = 0; i < 100 && !(view.body.status === 6 && view.body.currentSteps.includes('give')); i++) {
    await sleep(100);
    view = await http.get(`/api/dossiers/${code}`, lan);
  }
  expect(view.body.status).toBe(6);
  expect(view.body.currentSteps).toEqual(['give']);
  return { code, view: view.body, applicantToken: submitted.body.applicantToken as string };
}

function feeOf(view: { fees: { code: string; paymentUrl: string }[] }, feeCode: string) {
  const fee = view.fees.find((f) => f.code === feeCode)!;
  return { ...fee, reference: fee.paymentUrl.split('/pay/')[1] };
}

function callback(body: object, secret = TEST_SECRETS.paymentSecret) {
  const raw = JSON.stringify(body);
  return http.post('/api/payments/callback', raw, undefined, { 'X-Signature': signBody(secret, raw) });
}

async function statusOf(code: string) {
  return (await env.db('dossiers').where({ code }).first()).status as number;
}

test('the result stays blocked until every before-return fee is paid; tampered callbacks are refused, a replay has no second effect', async () => {
  const { code, view, applicantToken } = await dossierAwaitingFees();
  expect(view.fees).toEqual(expect.arrayContaining([
    expect.objectContaining({ code: 'LE-PHI', amount: 20000, state: 'pending', paymentUrl: expect.stringMatching(`^${env.apiUrl}/pay/LP-`) }),
    expect.objectContaining({ code: 'PHI-SAO', amount: 8000, state: 'pending' }),
  ]));
  const fee = feeOf(view, 'LE-PHI');
  // the applicant sees the same link with their token
  expect((await http.get(`/api/dossiers/${code}`, applicantToken)).body.fees).toEqual(expect.arrayContaining([
    expect.objectContaining({ code: 'LE-PHI', paymentUrl: fee.paymentUrl })]));

  const pageRes = await fetch(fee.paymentUrl);
  const html = await pageRes.text();
  expect(pageRes.status).toBe(200);
  expect(html).toContain('Thanh toán</button>');
  expect(html).toContain(code);
  expect(html).toContain('20.000');

  // forged callbacks: no signature, a signature that does not match, the right key over another body
  const forged = { provider: 'local', reference: fee.reference, transactionId: `FORGED-${randomUUID()}`, amount: 20000,
    paidAt: new Date().toISOString(), status: 'paid' };
  const unsigned = await http.post('/api/payments/callback', forged);
  expect(unsigned.status).toBe(401);
  expect(unsigned.body.error.code).toBe('UnauthorizedError');
  const wrongKey = await callback(forged, 'not-the-provider-key-not-the-provider-key');
  expect(wrongKey.status).toBe(403);
  const signedRaw = JSON.stringify(forged);
  const tampered = await http.post('/api/payments/callback', signedRaw.replace('"amount":20000', '"amount":2000'), undefined,
    { 'X-Signature': signBody(TEST_SECRETS.paymentSecret, signedRaw) });
  expect(tampered.status).toBe(403);
  expect(tampered.body.error.code).toBe('ForbiddenError');
  // correctly signed, but not the amount requested
  const short = await callback({ ...forged, amount: 2000 });
  expect(short.status).toBe(422);
  expect(short.body.error.details).toEqual([expect.objectContaining({ path: '$.amount' })]);
  const logged = await env.db('callback_log').where({ source: 'payment' }).whereIn('outcome', ['unsigned', 'bad-signature', 'amount-mismatch'])
    .andWhere((q) => q.where({ reference: fee.reference }).orWhere('body', 'like', `%${forged.transactionId}%`)).pluck('outcome');
  expect(logged.sort()).toEqual(['amount-mismatch', 'bad-signature', 'bad-signature', 'unsigned']);
  expect(await statusOf(code)).toBe(6);
  expect(await env.db('receipts').where({ dossier_code: code })).toHaveLength(0);

  // the applicant pays on the provider's page: the provider calls back, signed; one fee is still due
  const paid = await fetch(fee.paymentUrl, { method: 'POST' });
  expect(await paid.text()).toContain('Đã thanh toán');
  const payment = await env.db('payments').where({ dossier_code: code, fee_code: 'LE-PHI' }).first();
  expect(payment).toMatchObject({ state: 'paid', channel: 'online', receipt_no: `BL-${code}-LE-PHI` });
  await sleep(500);
  expect(await statusOf(code)).toBe(6);
  let history = (await http.get(`/api/dossiers/${code}`, lan)).body.history;
  expect(history.map((e: { type: string }) => e.type)).not.toContain('result-delivered');
  expect((await env.client.workflow.getHandle(code).describe()).status.name).toBe('RUNNING');

  // the same notification again (a replay, or the provider resending): refused, nothing new
  const ledger = await env.db('local_payment_ledger').where({ reference: fee.reference }).first();
  const again = { provider: 'local', reference: fee.reference, transactionId: ledger.transaction_id, amount: 20000,
    paidAt: new Date(ledger.paid_at).toISOString(), status: 'paid' };
  const replay = await callback(again);
  expect(replay.status).toBe(409);
  expect(replay.body.error.code).toBe('CallbackReplayedError');
  expect(replay.body.error.message).toContain(`BL-${code}-LE-PHI`);
  expect(await env.db('callback_log').where({ reference: fee.reference }).pluck('outcome')).toEqual(expect.arrayContaining(['accepted', 'replayed']));
  expect(await env.db('receipts').where({ dossier_code: code })).toHaveLength(1);
  expect(await env.db('payments').where({ dossier_code: code, fee_code: 'LE-PHI' }).first()).toEqual(payment);
  // a second, different transaction for a fee already paid is refused
  const twice = await callback({ ...again, transactionId: `${ledger.transaction_id}-2` });
  expect(twice.status).toBe(409);
  expect(twice.body.error.code).toBe('AlreadyPaidError');
  expect(await statusOf(code)).toBe(6);

  // the other fee at the counter: a receipt too, and now the result goes out
  const counter = await http.post(`/api/dossiers/${code}/payments/PHI-SAO/confirm`, { receiptNo: `QUAY-${randomUUID().slice(0, 8)}` }, lan);
  expect(counter.status).toBe(200);
  expect(counter.body.status).toBe(10);
  const finished = (await http.get(`/api/dossiers/${code}`, lan)).body;
  expect(finished.status).toBe(10);
  expect(finished.receipts).toEqual(expect.arrayContaining([
    expect.objectContaining({ receiptNo: `BL-${code}-LE-PHI`, feeCode: 'LE-PHI', amount: 20000, channel: 'online', providerTransactionId: ledger.transaction_id,
      issuedBy: 'payment-provider:local', paidAt: new Date(ledger.paid_at).toISOString() }),
    expect.objectContaining({ receiptNo: counter.body.receiptNo, feeCode: 'PHI-SAO', amount: 8000, channel: 'counter', issuedBy: 'lan.motcua-mybinh' }),
  ]));
  expect(finished.receipts).toHaveLength(2);
  history = finished.history;
  const statuses = history.filter((e: { type: string }) => e.type === 'status').map((e: { toStatus: number }) => e.toStatus);
  expect(statuses).toEqual([1, 2, 4, 6, 9, 6, 9, 10]);
  const types = history.map((e: { type: string }) => e.type);
  const lastFeeDue = history.map((e: { toStatus: number }) => e.toStatus).lastIndexOf(6);
  expect(types.indexOf('result-delivered')).toBeGreaterThan(lastFeeDue);
  const delivered = history.find((e: { type: string }) => e.type === 'result-delivered');
  expect(Date.parse(delivered.at)).toBeGreaterThanOrEqual(Date.parse(finished.receipts[1].issuedAt) - 1000);
  await keepHistory(env.client, 'fees-online-and-counter', code);
});

test('a callback for a payment nobody requested is refused and logged', async () => {
  const res = await callback({ provider: 'local', reference: `LP-NOPE${randomUUID().slice(0, 6)}`, transactionId: randomUUID(), amount: 1000,
    paidAt: new Date().toISOString(), status: 'paid' });
  expect(res.status).toBe(404);
  const bad = await callback({ provider: 'local', reference: 'x', amount: -1, status: 'refunded' });
  expect(bad.status).toBe(422);
  expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['$.transactionId', '$.paidAt', '$.amount', '$.status']));
});

test('reconciliation compares the day with the provider statement and reports every planted discrepancy', async () => {
  const { code, view } = await dossierAwaitingFees();
  const first = feeOf(view, 'LE-PHI');
  const second = feeOf(view, 'PHI-SAO');
  expect((await fetch(first.paymentUrl, { method: 'POST' })).status).toBe(200);
  const ours = await env.db('payments').where({ dossier_code: code, fee_code: 'LE-PHI' }).first();
  expect(ours.state).toBe('paid');
  // planted at the provider: the first payment booked with another amount, and the second paid with no callback to us
  await env.db('local_payment_ledger').where({ reference: first.reference }).update({ amount: 25000 });
  const lost = `LOST-${randomUUID()}`;
  await env.db('local_payment_ledger').where({ reference: second.reference }).update({ state: 'paid', transaction_id: lost, paid_at: env.db.fn.now() });

  const today = vietnamDay();
  expect((await http.get(`/api/reconciliation?date=${today}`, binh)).status).toBe(403);
  expect((await http.get('/api/reconciliation?date=2026-13-45', cuong)).status).toBe(400);
  const report = await http.get(`/api/reconciliation?date=${today}`, cuong);
  expect(report.status).toBe(200);
  expect(report.body).toMatchObject({ date: today, provider: 'local', final: false, balanced: false });
  expect(report.body.discrepancies).toEqual(expect.arrayContaining([
    { kind: 'amount-differs', reference: first.reference, transactionId: ours.provider_txn_id, dossierCode: code, feeCode: 'LE-PHI',
      ourAmount: 20000, providerAmount: 25000 },
    { kind: 'missing-here', reference: second.reference, transactionId: lost, dossierCode: code, feeCode: 'PHI-SAO',
      ourAmount: null, providerAmount: 8000 },
  ]));
  expect(report.body.discrepancies.filter((d: { dossierCode: string }) => d.dossierCode === code)).toHaveLength(2);
  const stored = await env.db('reconciliation_reports').where({ date: today }).first();
  expect(stored.discrepancies).toEqual(report.body.discrepancies);

  // the payment now missing at the provider is found the other way round
  await env.db('local_payment_ledger').where({ reference: first.reference }).update({ state: 'created', transaction_id: null, paid_at: null });
  const again = await http.get(`/api/reconciliation?date=${today}`, cuong);
  expect(again.body.discrepancies).toEqual(expect.arrayContaining([
    expect.objectContaining({ kind: 'missing-at-provider', transactionId: ours.provider_txn_id, dossierCode: code, ourAmount: 20000, providerAmount: null }),
  ]));
});

test('a Temporal Schedule, created idempotently, reconciles the day before', async () => {
  const scheduleId = `reconciliation-test-${randomUUID()}`;
  await ensureReconciliationSchedule(env.client, { taskQueue: env.taskQueue, cron: '30 0 * * *', scheduleId });
  await ensureReconciliationSchedule(env.client, { taskQueue: env.taskQueue, cron: '15 1 * * *', scheduleId });
  const handle = env.client.schedule.getHandle(scheduleId);
  try {
    const described = await handle.describe();
    expect(described.spec.timezone).toBe('Asia/Ho_Chi_Minh');
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconciliationWorkflow', taskQueue: env.taskQueue });
    expect(JSON.stringify(described.spec)).toContain('15');

    const yesterday = vietnamDay(new Date(), -1);
    const planted = `PLANTED-${randomUUID()}`;
    await env.db('local_payment_ledger').insert({ reference: planted, order_ref: randomUUID(), dossier_code: 'KHONG-CO', fee_code: 'LE-PHI',
      description: 'giao dịch không có trên sổ của hệ thống', amount: 12345, state: 'paid', transaction_id: planted,
      paid_at: `${yesterday}T12:00:00+07:00` });
    const before = Date.now();
    await handle.trigger();
    let row;
    for (let i = 0; i < 150; i++) {
      row = await env.db('reconciliation_reports').where({ date: yesterday }).first();
      if (row && new Date(row.generated_at).getTime() >= before - 1000 && row.discrepancies.some((d: { transactionId: string }) => d.transactionId === planted)) break;
      await sleep(100);
    }
    expect(row.final).toBe(true);
    expect(row.discrepancies).toEqual(expect.arrayContaining([
      { kind: 'missing-here', reference: planted, transactionId: planted, dossierCode: null, feeCode: null, ourAmount: null, providerAmount: 12345 }]));
    // a day already reconciled is served as stored
    const served = await http.get(`/api/reconciliation?date=${yesterday}`, cuong);
    expect(served.body).toMatchObject({ date: yesterday, final: true, generatedAt: new Date(row.generated_at).toISOString() });
  } finally {
    await handle.delete();
  }
});

test('a counter payment whose answer was lost after the receipt, before the workflow heard of it, is told again on retry', async () => {
  const { code } = await dossierAwaitingFees();
  const key = `counter-${code}`;
  const receiptNo = `QUAY-${randomUUID().slice(0, 8)}`;
  // as if the process had died between the receipt and the signal: the fees are on the books, the workflow never told
  const payments = await env.db('payments').where({ dossier_code: code, state: 'pending' });
  for (const p of payments) {
    await env.db('payments').where({ id: p.id }).update({ state: 'paid', channel: 'counter', paid_by: 'lan.motcua-mybinh',
      receipt_no: `${receiptNo}-${p.fee_code}`, paid_at: new Date() });
  }
  expect(await statusOf(code)).toBe(6);
  const retried = await http.post(`/api/dossiers/${code}/payments/LE-PHI/confirm`, { receiptNo: `${receiptNo}-LE-PHI` }, lan,
    { 'Idempotency-Key': key });
  expect(retried.status).toBe(200);
  expect(retried.body).toMatchObject({ code, feeCode: 'LE-PHI', receiptNo: `${receiptNo}-LE-PHI` });
  // the other fee's lost signal is found by the recovery sweep (an ops account may run it now)
  await env.db('payments').where({ dossier_code: code }).update({ paid_at: new Date(Date.now() - 5 * 60_000) });
  const [ops] = await loginDemo(http, 'thietke.lanhdao-mybinh');
  const sweep = await http.post('/api/ops/recovery', {}, ops);
  expect(sweep.status).toBe(200);
  expect(sweep.body.paymentsResent).toBeGreaterThanOrEqual(1);
  await eventually(async () => (await statusOf(code)) === 10, 'the dossier to finish once both fees are known paid');
  // another officer confirming the same fee is still refused
  const [hoa] = await loginDemo(http, 'admin.motcua-mybinh');
  expect((await http.post(`/api/dossiers/${code}/payments/LE-PHI/confirm`, {}, hoa)).status).toBeGreaterThanOrEqual(403);
});
