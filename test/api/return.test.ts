/**
 * Results and return of results over real HTTP, PostgreSQL and Temporal: results coded
 * `<dossier code>-KQ<n>`; electronic return into the applicant's data store, counter hand-over, and
 * return by post (order, delivery report, a late delivery inside the province flagged).
 */
import { createHash } from 'node:crypto';
import { createDocumentActivities } from '../../activities/documents';
import { postalSignature } from '../../api/services/documents';
import { TEST_POSTAL_SECRET, startTestEnv, testDocuments, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { keepHistory } from '../support/histories';
import { httpClient, type HttpClient } from '../support/http';
import { b64, download, pdf, png, publishDocumentsProcedure, upload } from '../support/documents';
import { completeTask, eventually, findTask, loginDemo } from '../support/tasks';

let env: TestEnv;
let http: HttpClient;
let lan: string;
let binh: string;
let cuong: string;

const CODE = '9.900202';
const IN_PROVINCE = 'Số 12 Trần Hưng Đạo, phường Mỹ Bình, thành phố Long Xuyên, tỉnh An Giang';
const OUT_OF_PROVINCE = '45 Lê Lợi, phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  env = await startTestEnv();
  await publishDocumentsProcedure(env.db, CODE);
  http = httpClient(env.apiUrl);
  [lan, binh, cuong] = await loginDemo(http, 'lan.motcua-mybinh', 'binh.tuphap-mybinh', 'cuong.lanhdao-mybinh');
});
afterAll(() => env?.stop());

/** Submits a dossier of the test procedure and has it accepted and digitized, up to the review. */
async function underReview(client: HttpClient, overrides: Record<string, unknown> = {}) {
  const factory = birthRegistration();
  const res = await client.post('/api/dossiers', { ...factory, procedureCode: CODE, application: {},
    documents: [upload('TO-KHAI', 'to-khai.pdf', pdf(`${Math.random()}`)), upload('GIAY-TO', 'cccd.pdf', pdf(`${Math.random()}`))],
    ...overrides, applicant: { ...factory.applicant, ...(overrides.applicant as object) } });
  expect(res.status).toBe(201);
  await completeTask(client, lan, res.body.code, 'receive', { outcome: 'accept', comment: 'ok' });
  return res.body as { code: string; applicantToken: string };
}

const history = async (code: string) => (await http.get(`/api/dossiers/${code}`, lan)).body.history as
  { type: string; toStatus: number | null; actor: string; data: Record<string, unknown> | null; reason: string | null }[];

test('results are coded <dossier>-KQ<n>, returned electronically into the applicant\'s data store and downloadable', async () => {
  const { code, applicantToken } = await underReview(http);
  await findTask(http, binh, code);
  const decision = pdf(`Quyết định ${code}`);
  const first = await http.post(`/api/dossiers/${code}/results`, { name: 'Quyết định', fileName: 'quyet-dinh.pdf', contentBase64: b64(decision) }, binh);
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ code: `${code}-KQ1`, name: 'Quyết định', mediaType: 'application/pdf', size: decision.length,
    sha256: sha(decision), createdBy: 'binh.tuphap-mybinh', unit: 'TU-PHAP' });
  const scan = png();
  const second = await http.post(`/api/dossiers/${code}/results`, { name: 'Bản sao', fileName: 'ban-sao.png', contentBase64: b64(scan) }, binh,
    { 'Idempotency-Key': `kq2-${code}` });
  expect(second.body.code).toBe(`${code}-KQ2`);
  const retried = await http.post(`/api/dossiers/${code}/results`, { name: 'Bản sao', fileName: 'ban-sao.png', contentBase64: b64(scan) }, binh,
    { 'Idempotency-Key': `kq2-${code}` });
  expect(retried.body.code).toBe(`${code}-KQ2`);

  const wrong = await http.post(`/api/dossiers/${code}/results`, { name: 'Sai', fileName: 'sai.pdf', contentBase64: b64(Buffer.from('văn bản')) }, binh);
  expect(wrong.status).toBe(422);
  expect(wrong.body.error.details).toEqual([{ path: '$.contentBase64', message: expect.stringMatching(/^sai\.pdf: is of a type that cannot be recognised/) }]);
  expect((await http.post(`/api/dossiers/${code}/results`, { name: 'x', fileName: 'x.pdf', contentBase64: b64(decision) }, cuong)).status).toBe(403);
  // before the return the applicant sees no result
  expect((await http.get(`/api/dossiers/${code}/results`, applicantToken)).body.items).toEqual([]);
  expect((await download(env.apiUrl, `/api/dossiers/${code}/results/${code}-KQ1/content`, applicantToken)).status).toBe(403);

  const { dossier: done } = await completeTask(http, binh, code, 'review', { outcome: 'approve' });
  expect(done.status).toBe(10);
  const events = await history(code);
  expect(events.find((e) => e.type === 'result-delivered')?.data).toEqual({ channel: 'electronic', results: [`${code}-KQ1`, `${code}-KQ2`] });
  expect(events.filter((e) => e.type === 'result-attached').map((e) => e.reason)).toEqual(['Quyết định', 'Bản sao']);
  const results = await http.get(`/api/dossiers/${code}/results`, applicantToken);
  expect(results.body.items.map((r: { code: string; pushedToDataStoreAt: string | null }) => [r.code, Boolean(r.pushedToDataStoreAt)]))
    .toEqual([[`${code}-KQ1`, true], [`${code}-KQ2`, true]]);
  const direct = await download(env.apiUrl, `/api/dossiers/${code}/results/${code}-KQ1/content`, applicantToken);
  expect(direct).toMatchObject({ status: 200, type: 'application/pdf' });
  expect(direct.bytes.equals(decision)).toBe(true);

  const store = await http.get('/api/applicants/me/documents', applicantToken);
  const pushed = store.body.items.filter((d: { source: string }) => d.source === 'result');
  expect(pushed.map((d: { documentCode: string }) => d.documentCode).sort()).toEqual([`${code}-KQ1`, `${code}-KQ2`]);
  const fromStore = await download(env.apiUrl, `/api/applicants/me/documents/${pushed.find((d: { documentCode: string }) => d.documentCode === `${code}-KQ2`).id}/content`,
    applicantToken);
  expect(fromStore).toMatchObject({ status: 200, type: 'image/png' });
  expect(fromStore.bytes.equals(scan)).toBe(true);
  expect((await http.post(`/api/dossiers/${code}/results`, { name: 'Muộn', fileName: 'muon.pdf', contentBase64: b64(decision) }, binh)).status).toBe(409);
  await keepHistory(env.client, 'results-electronic', code);
});

test('at the counter an officer confirms the hand-over; the result is not pushed to the data store', async () => {
  const { code, applicantToken } = await underReview(http, { returnChannel: 'counter' });
  await completeTask(http, binh, code, 'review', { outcome: 'approve' });
  expect((await http.get(`/api/dossiers/${code}`, lan)).body.status).toBe(9);
  const { dossier: handedOver } = await completeTask(http, lan, code, 'give', { outcome: 'handed-over' });
  expect(handedOver.status).toBe(10);
  const last = (await history(code)).filter((e) => e.type === 'status').pop();
  expect(last).toMatchObject({ toStatus: 10, actor: 'lan.motcua-mybinh', reason: 'Đã trả kết quả (counter)' });
  const store = await http.get('/api/applicants/me/documents', applicantToken);
  expect(store.body.items.filter((d: { source: string }) => d.source === 'result')).toEqual([]);
});

test('by post: an order is placed with the postal service, the delivery report ends the dossier, on time inside the province', async () => {
  const noAddress = await http.post('/api/dossiers', { ...birthRegistration(), procedureCode: CODE, application: {}, returnChannel: 'postal' });
  expect(noAddress.status).toBe(422);
  expect(noAddress.body.error.details).toEqual([{ path: '$.applicant.address', message: 'is required to return the result by post' }]);

  const { code } = await underReview(http, { returnChannel: 'postal', applicant: { address: IN_PROVINCE } });
  const kq = pdf(`Kết quả ${code}`);
  await http.post(`/api/dossiers/${code}/results`, { name: 'Giấy chứng nhận', fileName: 'gcn.pdf', contentBase64: b64(kq) }, binh);
  await completeTask(http, binh, code, 'review', { outcome: 'approve' });
  const orders = await eventually(async () => {
    const res = await http.get(`/api/dossiers/${code}/postal`, lan);
    return res.body.items.length ? res.body.items : undefined;
  }, 'the postal order');
  expect(orders).toEqual([expect.objectContaining({ provider: 'local', state: 'created', inProvince: true, late: false, deliveredAt: null,
    tracking: expect.objectContaining({ state: 'accepted' }) })]);
  const [order] = orders;
  expect(Date.parse(order.dueAt) - Date.parse(order.createdAt)).toBe(24 * 3600_000);
  expect((await http.get(`/api/dossiers/${code}`, lan)).body.status).toBe(9);
  const parcel = await env.db('postal_parcels').where({ id: order.orderId }).first();
  expect(parcel.recipient).toEqual({ fullName: 'Nguyễn Văn An', address: IN_PROVINCE, phone: '0912345678' });
  expect(parcel.items).toEqual([`${code}-KQ1`]);

  expect((await http.post(`/api/postal/orders/${order.orderId}/delivered`, {}, binh)).status).toBe(403);
  const future = await http.post(`/api/postal/orders/${order.orderId}/delivered`, { deliveredAt: new Date(Date.now() + 3600_000).toISOString() }, lan);
  expect(future.status).toBe(422);
  expect(future.body.error.details[0].path).toBe('$.deliveredAt');
  const delivered = await http.post(`/api/postal/orders/${order.orderId}/delivered`, { receivedBy: 'Nguyễn Văn An' }, lan);
  expect(delivered.status).toBe(200);
  expect(delivered.body).toMatchObject({ orderId: order.orderId, dossierCode: code, late: false, status: 10 });
  expect((await http.post(`/api/postal/orders/${order.orderId}/delivered`, {}, lan)).status).toBe(409);

  const view = (await http.get(`/api/dossiers/${code}`, lan)).body;
  expect(view).toMatchObject({ status: 10, lateDelivery: false });
  const types = view.history.map((e: { type: string }) => e.type);
  expect(types).toEqual(expect.arrayContaining(['postal-order-created', 'result-delivered']));
  expect(types).not.toContain('postal-delivery-late');
  expect(view.history.find((e: { type: string }) => e.type === 'result-delivered').data)
    .toMatchObject({ channel: 'postal', orderId: order.orderId, receivedBy: 'Nguyễn Văn An', late: false });
  const tracked = (await http.get(`/api/dossiers/${code}/postal`, lan)).body.items[0];
  expect(tracked).toMatchObject({ state: 'delivered', receivedBy: 'Nguyễn Văn An', tracking: { state: 'delivered' } });
  await keepHistory(env.client, 'postal-return', code);
});

test('a postal return the post cannot be given (no address) fails fast and falls back to the counter, saying why', async () => {
  const { code } = await underReview(http, { returnChannel: 'postal', applicant: { address: IN_PROVINCE } });
  // a dossier from before addresses were required for return by post
  await env.db('dossiers').where({ code }).update({ applicant: env.db.raw("applicant - 'address'") });
  const activities = createDocumentActivities({ db: env.db, ...testDocuments(env.db) });
  await expect(activities.createPostalOrder({ dossierCode: code, stepId: 'give', iteration: 9, dueWithinMs: 1000 }))
    .rejects.toMatchObject({ type: 'PostalAddressMissingError', nonRetryable: true });

  await completeTask(http, binh, code, 'review', { outcome: 'approve' });
  const { dossier: done } = await completeTask(http, lan, code, 'give', { outcome: 'handed-over' });
  expect(done.status).toBe(10);
  const events = await history(code);
  expect(events.find((e) => e.type === 'postal-order-impossible')?.reason).toBe(`the applicant of dossier ${code} gave no postal address`);
  expect(await env.db('postal_orders').where({ dossier_code: code })).toEqual([]);
});

describe('with a short postal deadline', () => {
  let fast: TestEnv;
  let fastHttp: HttpClient;
  beforeAll(async () => {
    fast = await startTestEnv({ dossierSettings: { postalDueMs: 1500 } });
    fastHttp = httpClient(fast.apiUrl);
  });
  afterAll(() => fast?.stop());

  async function orderOf(code: string) {
    return eventually(async () => (await fastHttp.get(`/api/dossiers/${code}/postal`, lan)).body.items[0], 'the postal order');
  }

  test('a delivery inside the province later than the deadline is flagged on the dossier and in its history', async () => {
    const { code } = await underReview(fastHttp, { returnChannel: 'postal', applicant: { address: IN_PROVINCE } });
    await completeTask(fastHttp, binh, code, 'review', { outcome: 'approve' });
    const order = await orderOf(code);
    // the deadline passes before the post reports: the dossier is flagged at once
    const flagged = await eventually(async () => {
      const view = (await fastHttp.get(`/api/dossiers/${code}`, lan)).body;
      return view.lateDelivery && view.history.some((e: { type: string }) => e.type === 'postal-delivery-late') ? view : undefined;
    }, 'the late flag');
    expect(flagged.status).toBe(9);
    expect(flagged.history.find((e: { type: string }) => e.type === 'postal-delivery-late'))
      .toMatchObject({ actor: 'system', data: { orderId: order.orderId, dueAt: order.dueAt } });
    const delivered = await fastHttp.post(`/api/postal/orders/${order.orderId}/delivered`, { receivedBy: 'Nguyễn Văn An' }, lan);
    expect(delivered.body).toMatchObject({ status: 10, late: true });
    const view = (await fastHttp.get(`/api/dossiers/${code}`, lan)).body;
    expect(view.lateDelivery).toBe(true);
    expect(view.history.filter((e: { type: string }) => e.type === 'postal-delivery-late')).toHaveLength(1);
    expect(view.history.find((e: { type: string }) => e.type === 'result-delivered').data).toMatchObject({ channel: 'postal', late: true });
    await keepHistory(fast.client, 'postal-return-late', code);
  });

  test('outside the province a delivery has no 24-hour deadline and is never flagged; the post reports it by a signed callback', async () => {
    const { code } = await underReview(fastHttp, { returnChannel: 'postal', applicant: { address: OUT_OF_PROVINCE } });
    await completeTask(fastHttp, binh, code, 'review', { outcome: 'approve' });
    const order = await orderOf(code);
    expect(order).toMatchObject({ inProvince: false, dueAt: null });
    await new Promise((r) => setTimeout(r, 2000));
    const report = { deliveredAt: new Date().toISOString(), receivedBy: 'Trần Thị Hoa' };
    const path = `/api/postal/orders/${order.orderId}/delivered`;
    expect((await fastHttp.post(path, report)).status).toBe(403);
    const forged = await fastHttp.post(path, report, undefined,
      { 'X-Postal-Signature': postalSignature('not-the-secret-not-the-secret-not-the-secret', order.orderId, report.deliveredAt, report.receivedBy) });
    expect(forged.status).toBe(401);
    const altered = await fastHttp.post(path, { ...report, receivedBy: 'Người khác' }, undefined,
      { 'X-Postal-Signature': postalSignature(TEST_POSTAL_SECRET, order.orderId, report.deliveredAt, report.receivedBy) });
    expect(altered.status).toBe(401);
    const delivered = await fastHttp.post(path, report, undefined,
      { 'X-Postal-Signature': postalSignature(TEST_POSTAL_SECRET, order.orderId, report.deliveredAt, report.receivedBy) });
    expect(delivered.status).toBe(200);
    expect(delivered.body).toMatchObject({ status: 10, late: false, deliveredAt: report.deliveredAt });
    const view = (await fastHttp.get(`/api/dossiers/${code}`, lan)).body;
    expect(view.lateDelivery).toBe(false);
    expect(view.history.map((e: { type: string }) => e.type)).not.toContain('postal-delivery-late');
    expect(view.history.filter((e: { type: string }) => e.type === 'status').pop())
      .toMatchObject({ toStatus: 10, actor: 'postal:local', actorName: 'Bưu chính công ích' });
  });
});

test('the return activities have one effect when run twice', async () => {
  const { code } = await underReview(http, { returnChannel: 'postal', applicant: { address: IN_PROVINCE } });
  await http.post(`/api/dossiers/${code}/results`, { name: 'Kết quả', fileName: 'kq.pdf', contentBase64: b64(pdf(code)) }, binh);
  const activities = createDocumentActivities({ db: env.db, ...testDocuments(env.db) });
  const idNumber = (await env.db('dossiers').where({ code }).first()).applicant.idNumber;

  const pushed = await activities.pushResultsToDataStore({ dossierCode: code });
  expect(await activities.pushResultsToDataStore({ dossierCode: code })).toEqual(pushed);
  expect(await env.db('applicant_documents').where({ applicant_id: idNumber, source: 'result' }).pluck('document_code')).toEqual([`${code}-KQ1`]);

  const input = { dossierCode: code, stepId: 'manual', iteration: 1, dueWithinMs: 3600_000 };
  const order = await activities.createPostalOrder(input);
  expect(await activities.createPostalOrder(input)).toEqual(order);
  expect(await env.db('postal_orders').where({ dossier_code: code, step_id: 'manual' }).count({ n: '*' })).toEqual([{ n: '1' }]);
  expect(await env.db('postal_parcels').where({ id: order.orderId }).count({ n: '*' })).toEqual([{ n: '1' }]);
  expect(order).toMatchObject({ inProvince: true, dueAt: new Date(Date.parse(order.createdAt) + 3600_000).toISOString() });

  await activities.flagLateDelivery({ dossierCode: code, orderId: order.orderId });
  await activities.flagLateDelivery({ dossierCode: code, orderId: order.orderId });
  expect((await env.db('dossiers').where({ code }).first()).late_delivery).toBe(true);
});
