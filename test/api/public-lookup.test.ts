/**
 * The public lookup by dossier code (no sign-in), over real HTTP with real PostgreSQL and Temporal:
 * exactly the fields DOMAIN.md lists and nothing personal beyond the applicant's name, fewer for a
 * dossier never accepted, one answer for unknown and malformed codes, and a rate limit.
 */
import type { Server } from 'node:http';
import { createApp, type AppDeps } from '../../api/app';
import { publishSamples } from '../../scripts/seed';
import { createLogger } from '../../lib/logger';
import { JWT_SECRET, startTestEnv, type TestEnv, testDocuments, TEST_DOCUMENT_LIMITS } from '../support/env';
import { birthRegistration } from '../support/factories';
import { decodeQrDataUrl } from '../support/forms';
import { httpClient, type HttpClient } from '../support/http';
import { completeTask, loginDemo } from '../support/tasks';

let env: TestEnv;
const servers: Server[] = [];
let http: HttpClient;
let lan: string;
let binh: string;

async function serve(extra: Partial<AppDeps>): Promise<string> {
  const app = createApp({ db: env.db, temporal: env.client, taskQueue: env.taskQueue, jwtSecret: JWT_SECRET, tokenTtl: '1h',
    log: createLogger('silent'), loginLimit: 1000, publicUrl: 'https://motcua.example.vn', ...extra,
    documents: { ...testDocuments(env.db), limits: TEST_DOCUMENT_LIMITS }, ...extra });
  const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

beforeAll(async () => {
  env = await startTestEnv({ api: false });
  await publishSamples(env.db);
  http = httpClient(await serve({ publicLookupLimit: 1000 }));
  [lan, binh] = await loginDemo(http, 'lan.motcua-mybinh', 'binh.tuphap-mybinh');
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => { s.closeAllConnections(); s.close(r); });
  await env?.stop();
});

const applicant = {
  fullName: 'Hoàng Thị Mai', idNumber: '089195004321', organization: 'Hộ kinh doanh Mai Vàng', email: 'mai@example.vn',
  phone: '0903111222', address: 'Tổ 5, khóm Đông Thịnh, phường Mỹ Bình',
};
const PERSONAL = [applicant.idNumber, applicant.email, applicant.phone, applicant.address, 'Nguyễn Minh Khang', 'Trần Thị Bích',
  'to-khai.pdf'];

test('an accepted dossier shows exactly the listed fields, and nothing personal beyond the name', async () => {
  const { body } = await http.post('/api/dossiers', birthRegistration({ applicant,
    documents: [{ code: 'TO-KHAI', fileName: 'to-khai.pdf', contentBase64: Buffer.from('%PDF-1.4 tờ khai').toString('base64') }] }));
  const { dossier: accepted } = await completeTask(http, lan, body.code, 'receive', { outcome: 'accept' });
  await completeTask(http, binh, body.code, 'review', { outcome: 'approve', data: { documentsComplete: true } });

  const res = await http.get(`/api/public/dossiers/${body.code}`);
  expect(res.status).toBe(200);
  expect(Object.keys(res.body).sort()).toEqual(['applicantName', 'appointmentAt', 'code', 'departments', 'organization', 'qr',
    'receivedAt', 'receivingAgency', 'status', 'statusLabel']);
  const dossier = (await http.get(`/api/dossiers/${body.code}`, lan)).body;
  expect(res.body).toMatchObject({
    code: body.code, receivingAgency: 'Ủy ban nhân dân phường Mỹ Bình', organization: 'Hộ kinh doanh Mai Vàng',
    applicantName: 'Hoàng Thị Mai', receivedAt: dossier.acceptedAt, appointmentAt: dossier.appointmentAt, status: 4, statusLabel: 'Đang xử lý',
    departments: ['Bộ phận Một cửa', 'Công chức Tư pháp - Hộ tịch', 'Lãnh đạo UBND phường'],
  });
  expect(Date.parse(res.body.appointmentAt)).toBe(Date.parse(accepted.appointmentAt));
  // the QR links to the public page, and carries nothing personal
  expect(decodeQrDataUrl(res.body.qr)).toBe(`https://motcua.example.vn/tra-cuu?code=${encodeURIComponent(body.code)}`);
  const raw = JSON.stringify(res.body);
  for (const secret of PERSONAL) expect(raw).not.toContain(secret);
  expect(res.headers.get('cache-control')).toBe('no-store');

  // the public page shows the same, and no more
  const page = await fetch(pageUrl(body.code));
  expect(page.status).toBe(200);
  const html = await page.text();
  for (const shown of [body.code, 'Hoàng Thị Mai', 'Hộ kinh doanh Mai Vàng', 'Ủy ban nhân dân phường Mỹ Bình', 'Đang xử lý',
    'Bộ phận Một cửa → Công chức Tư pháp - Hộ tịch → Lãnh đạo UBND phường']) expect(html).toContain(shown);
  for (const secret of PERSONAL) expect(html).not.toContain(secret);
});

function pageUrl(code: string) {
  const base = (servers[0].address() as { port: number }).port;
  return `http://127.0.0.1:${base}/tra-cuu?code=${encodeURIComponent(code)}`;
}

test('a dossier received at the counter names the counter first in its path', async () => {
  const { body } = await http.post('/api/dossiers', birthRegistration({ channel: 'counter', applicant }), lan);
  expect([2, 4]).toContain(body.status);
  const res = await http.get(`/api/public/dossiers/${body.code}`);
  expect(res.body.departments).toEqual(['Bộ phận Một cửa', 'Công chức Tư pháp - Hộ tịch']);
});

test('a dossier not yet accepted, or refused, shows only its code, QR, receiving agency and status', async () => {
  const waiting = (await http.post('/api/dossiers', birthRegistration({ applicant }))).body;
  const refused = (await http.post('/api/dossiers', birthRegistration({ applicant }))).body;
  await completeTask(http, lan, refused.code, 'receive', { outcome: 'refuse', comment: 'Không thuộc thẩm quyền' });
  for (const [code, status] of [[waiting.code, 1], [refused.code, 3]] as const) {
    const res = await http.get(`/api/public/dossiers/${code}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['code', 'qr', 'receivingAgency', 'status', 'statusLabel']);
    expect(res.body).toMatchObject({ code, status, receivingAgency: 'Ủy ban nhân dân phường Mỹ Bình' });
    const html = await (await fetch(pageUrl(code))).text();
    expect(html).toContain(code);
    expect(html).not.toContain('Hoàng Thị Mai');
  }
});

test('an unknown code and a malformed code answer alike', async () => {
  const unknown = await http.get('/api/public/dossiers/000.31.31.H01-200101-9999');
  const malformed = await http.get(`/api/public/dossiers/${encodeURIComponent("x' OR 1=1 --")}`);
  const tooLong = await http.get(`/api/public/dossiers/${'9'.repeat(300)}`);
  expect(unknown.status).toBe(404);
  expect(malformed.status).toBe(404);
  expect(tooLong.status).toBe(404);
  expect(malformed.body).toEqual(unknown.body);
  expect(tooLong.body).toEqual(unknown.body);
  expect(unknown.body).toEqual({ error: { code: 'NotFoundError', message: 'no dossier with this code' } });
  const pageUnknown = await fetch(pageUrl('000.31.31.H01-200101-9999'));
  const pageMalformed = await fetch(pageUrl('<script>alert(1)</script>'));
  expect(pageUnknown.status).toBe(404);
  expect(pageMalformed.status).toBe(404);
  const malformedHtml = await pageMalformed.text();
  expect(malformedHtml).toContain('Không tìm thấy hồ sơ');
  expect(malformedHtml).not.toContain('<script>alert(1)</script>');
});

test('lookups are rate limited per address: 429 past the limit, for the API and the page alike', async () => {
  const limited = httpClient(await serve({ publicLookupLimit: 3 }));
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push((await limited.get('/api/public/dossiers/000.31.31.H01-200101-0001')).status);
  expect(answers).toEqual([404, 404, 404]);
  const over = await limited.get('/api/public/dossiers/000.31.31.H01-200101-0001');
  expect(over.status).toBe(429);
  expect(over.body.error.code).toBe('TooManyRequestsError');
  const page = await limited.get('/tra-cuu?code=000.31.31.H01-200101-0001');
  expect(page.status).toBe(429);
  expect(String(page.body)).toContain('Quá nhiều lượt tra cứu');
});
