/**
 * The official forms of real dossiers driven through the API (real PostgreSQL, Temporal, HTTP): each
 * form's fields, its QR code decoded from the page, its PDF parsed, who may read it, and the 409 of a
 * form that does not apply. Set FORMS_OUT=<folder> to keep every rendering for a look.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { DateTime } from 'luxon';
import { createApp } from '../../api/app';
import { publishSamples } from '../../scripts/seed';
import { parseQrText } from '../../domain/qr';
import { createLogger } from '../../lib/logger';
import { JWT_SECRET, startTestEnv, type TestEnv, testDocuments, TEST_DOCUMENT_LIMITS } from '../support/env';
import { birthRegistration } from '../support/factories';
import { pdfText, qrOfHtml, visibleText } from '../support/forms';
import { httpClient, type HttpClient } from '../support/http';
import { completeTask, loginDemo } from '../support/tasks';
import { publishProcedure } from '../support/procedures';

const SYSTEM = 'Hệ thống thông tin giải quyết TTHC (thử nghiệm)';
const LINKED = '9.907001';
/** A procedure whose one-hour legal time runs out at once (apology) and that hands over to a partner procedure. */
const linkedDefinition = {
  code: LINKED, version: 1, name: 'Thủ tục liên thông thử nghiệm', agency: 'UBND-XA-MY-BINH', serviceLevel: 'full-online',
  deadline: { iso: 'PT1H' }, fees: [], documents: [{ code: 'DON', name: 'Đơn đề nghị', required: true }],
  returnChannels: ['electronic'],
  steps: [
    { id: 'receive', kind: 'reception', name: 'Tiếp nhận', assignee: { unit: 'MOT-CUA', role: 'one-stop-officer' }, next: 'partner' },
    { id: 'partner', kind: 'handoff', name: 'Liên thông khai sinh', to: { agency: 'UBND-XA-MY-BINH' }, procedure: '1.001193',
      deadline: { iso: 'PT20M' }, outcomes: { done: {}, refused: { stop: true } }, next: 'sign' },
    { id: 'sign', kind: 'task', name: 'Ký duyệt', assignee: { unit: 'LANH-DAO', role: 'leader' }, deadline: { iso: 'PT20M' },
      outcomes: { approve: {} }, next: 'give' },
    { id: 'give', kind: 'return', name: 'Trả kết quả' },
  ],
};

let env: TestEnv;
let server: Server;
let http: HttpClient;
let baseUrl: string;
let lan: string;
let binh: string;
let cuong: string;
const out = process.env.FORMS_OUT;

beforeAll(async () => {
  env = await startTestEnv({ api: false });
  await publishSamples(env.db);
  await publishProcedure(env.db, linkedDefinition);
  // the apology task opens as soon as less than two hours are left before the appointment
  const app = createApp({ db: env.db, temporal: env.client, taskQueue: env.taskQueue, jwtSecret: JWT_SECRET, tokenTtl: '1h',
    log: createLogger('silent'), loginLimit: 1000, systemName: SYSTEM, publicUrl: 'https://motcua.example.vn',
    dossierSettings: { apologyLeadMs: 2 * 3600_000 },
    documents: { ...testDocuments(env.db), limits: TEST_DOCUMENT_LIMITS } });
  server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  http = httpClient(baseUrl);
  [lan, binh, cuong] = await loginDemo(http, 'lan.motcua-mybinh', 'binh.tuphap-mybinh', 'cuong.lanhdao-mybinh');
  if (out) mkdirSync(out, { recursive: true });
});
afterAll(async () => {
  if (server) await new Promise((r) => { server.closeAllConnections(); server.close(r); });
  await env?.stop();
});

/** A form as HTML, PDF and JSON (fields); the files kept under FORMS_OUT when set. */
async function fetchForm(path: string, token: string, name: string) {
  const get = (accept: string) => fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}`, accept } });
  const htmlRes = await get('text/html');
  expect(htmlRes.status).toBe(200);
  expect(htmlRes.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await htmlRes.text();
  const pdfRes = await get('application/pdf');
  expect(pdfRes.status).toBe(200);
  expect(pdfRes.headers.get('content-type')).toBe('application/pdf');
  const pdf = Buffer.from(await pdfRes.arrayBuffer());
  const fields = await (await get('application/json')).json();
  if (out) {
    writeFileSync(join(out, `${name}.html`), html);
    writeFileSync(join(out, `${name}.pdf`), pdf);
  }
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  const parsed = await pdfText(pdf);
  return { html, text: visibleText(html), pdf, pdfText: parsed.text.replace(/\s+/g, ' '), pages: parsed.pages, fields };
}

const hcm = (iso: string) => DateTime.fromISO(iso, { zone: 'Asia/Ho_Chi_Minh' });
const vnDateTime = (iso: string) => hcm(iso).toFormat("HH 'giờ' mm 'phút', 'ngày' dd 'tháng' MM 'năm' yyyy");

describe('a birth registration from submission to return', () => {
  let code: string;
  let applicantToken: string;
  let idNumber: string;

  beforeAll(async () => {
    const submission = birthRegistration({
      applicant: { fullName: 'Lê Thị Hồng Nhung', idNumber: '089190123456', email: 'nhung@example.vn', phone: '0987654321',
        address: 'Số 12 đường Trần Hưng Đạo, phường Mỹ Bình' },
      documents: [
        { code: 'TO-KHAI', fileName: 'to-khai.pdf', contentBase64: Buffer.from('%PDF-1.4 tờ khai').toString('base64') },
        { code: 'GIAY-CHUNG-SINH', fileName: 'giay-chung-sinh.pdf', contentBase64: Buffer.from('%PDF-1.4 giấy chứng sinh').toString('base64') },
      ],
    });
    idNumber = submission.applicant.idNumber;
    const res = await http.post('/api/dossiers', submission);
    expect(res.status).toBe(201);
    ({ code, applicantToken } = res.body);
  });

  test('before acceptance there is no receipt: 409 with a clear message; an unknown form is 404', async () => {
    const res = await http.get(`/api/dossiers/${code}/forms/receipt`, lan);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'FormNotApplicableError' });
    expect(res.body.error.message).toContain('has not been accepted');
    const unknown = await http.get(`/api/dossiers/${code}/forms/invoice`, lan);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('receipt, supplement-request, refusal, apology, control-slip');
  });

  test('form 01, the receipt: who, what, the documents received, the appointment, and a QR code that says so', async () => {
    const { dossier: accepted } = await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'Hồ sơ đầy đủ' });
    const dossier = (await http.get(`/api/dossiers/${code}`, lan)).body;
    const form = await fetchForm(`/api/dossiers/${code}/forms/receipt`, lan, '01-receipt');

    expect(form.text).toContain('Mẫu số 01');
    expect(form.text).toContain('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM');
    expect(form.text).toContain('Độc lập - Tự do - Hạnh phúc');
    expect(form.text).toContain('GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ');
    expect(form.text).toContain('Ủy ban nhân dân phường Mỹ Bình');
    expect(form.text).toContain(`Mã hồ sơ: ${code}`);
    expect(form.text).toContain('Tiếp nhận hồ sơ của: Lê Thị Hồng Nhung');
    expect(form.text).toContain('Số 12 đường Trần Hưng Đạo, phường Mỹ Bình');
    expect(form.text).toContain('Nội dung yêu cầu giải quyết: Đăng ký khai sinh');
    expect(form.text).toContain('1 Tờ khai đăng ký khai sinh (theo mẫu) Bản điện tử');
    expect(form.text).toContain('2 Giấy chứng sinh (hoặc văn bản của người làm chứng xác nhận việc sinh) Bản điện tử giay-chung-sinh.pdf');
    expect(form.text).toContain('Thời gian giải quyết hồ sơ theo quy định là: 1 ngày làm việc');
    expect(form.text).toContain(`Thời gian nhận hồ sơ: ${vnDateTime(dossier.acceptedAt)}`);
    expect(form.text).toContain(`Thời gian trả kết quả giải quyết hồ sơ: ${vnDateTime(accepted.appointmentAt)}`);
    expect(form.text).toContain('Người tiếp nhận hồ sơ (Ký và ghi rõ họ tên) Nguyễn Thị Lan');
    expect(form.fields).toMatchObject({ form: 'receipt', code, receivedBy: 'Nguyễn Thị Lan', copies: 1 });
    expect(form.fields.documents).toHaveLength(2);

    expect(parseQrText(qrOfHtml(form.html))).toEqual({
      v: 1, system: SYSTEM, document: 'Giấy tiếp nhận hồ sơ và hẹn trả kết quả', dossierCode: code, procedureCode: '1.001193',
      applicantId: idNumber, issuedAt: dossier.acceptedAt, appointmentAt: dossier.appointmentAt,
    });
    expect(Date.parse(dossier.appointmentAt)).toBe(Date.parse(accepted.appointmentAt));
    expect(form.pages).toBe(1);
    expect(form.pdfText).toContain('GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ');
    expect(form.pdfText).toContain('Lê Thị Hồng Nhung');
    expect(form.pdfText).toContain(vnDateTime(accepted.appointmentAt));
    expect(form.pdf.includes('/Subtype /Image')).toBe(true);
  });

  test('who may read: officers of the agency, and the applicant their own dossier only', async () => {
    expect((await http.get(`/api/dossiers/${code}/forms/receipt`, applicantToken)).status).toBe(200);
    expect((await http.get(`/api/dossiers/${code}/forms/receipt`)).status).toBe(401);
    const other = await http.post('/api/dossiers', birthRegistration());
    expect((await http.get(`/api/dossiers/${code}/forms/receipt`, other.body.applicantToken)).status).toBe(403);
    expect((await http.get('/api/dossiers/000.31.31.H01-200101-0001/forms/receipt', lan)).status).toBe(404);
  });

  test('form 02 lists every missing item once, with its reason; form 03 does not apply', async () => {
    const { dossier: paused } = await completeTask(http, binh, code, 'review', {
      outcome: 'missing', comment: 'Thiếu giấy tờ theo danh sách',
      data: { missing: [
        { document: 'GIAY-CHUNG-SINH', reason: 'Bản chụp không đọc được' },
        { name: 'Tờ khai có chữ ký của người đi đăng ký', reason: 'Tờ khai chưa ký' },
        { document: 'GIAY-CHUNG-SINH', reason: 'Bản chụp không đọc được' },
      ] },
    });
    expect(paused.status).toBe(5);
    const form = await fetchForm(`/api/dossiers/${code}/forms/supplement-request`, applicantToken, '02-supplement-request');
    expect(form.text).toContain('Mẫu số 02');
    expect(form.text).toContain('PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ');
    expect(form.text).toContain('Hồ sơ của: Lê Thị Hồng Nhung');
    expect(form.fields.items).toEqual([
      { index: 1, name: 'Giấy chứng sinh (hoặc văn bản của người làm chứng xác nhận việc sinh)', reason: 'Bản chụp không đọc được' },
      { index: 2, name: 'Tờ khai có chữ ký của người đi đăng ký', reason: 'Tờ khai chưa ký' },
    ]);
    expect(form.text.match(/Giấy chứng sinh \(hoặc/g)).toHaveLength(1);
    expect(form.text).toContain('Lý do: Thiếu giấy tờ theo danh sách');
    expect(form.text).toContain('Người hướng dẫn (Ký và ghi rõ họ tên) Trần Văn Bình');
    const qr = parseQrText(qrOfHtml(form.html));
    expect(qr).toMatchObject({ document: 'Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ', dossierCode: code, applicantId: idNumber });
    expect(qr.appointmentAt).toBeUndefined();
    expect(form.pdfText).toContain('Tờ khai có chữ ký của người đi đăng ký');

    const refusal = await http.get(`/api/dossiers/${code}/forms/refusal`, lan);
    expect(refusal.status).toBe(409);
    expect(refusal.body.error.message).toContain('was not refused');
  });

  test('form 05, the control slip: one row per hop with who handed, who took, and whether it was on time', async () => {
    const resumed = await http.post(`/api/dossiers/${code}/supplement`, { documents: [{ code: 'GIAY-CHUNG-SINH', fileName: 'gcs.pdf',
      contentBase64: Buffer.from('%PDF-1.4 giấy chứng sinh').toString('base64') }] }, applicantToken);
    expect(resumed.status).toBe(200);
    await completeTask(http, binh, code, 'review', { outcome: 'approve', data: { documentsComplete: true } });
    const { dossier: done } = await completeTask(http, cuong, code, 'sign', { outcome: 'approve' });
    expect(done.status).toBe(10);

    const form = await fetchForm(`/api/dossiers/${code}/forms/control-slip`, lan, '05-control-slip');
    expect(form.text).toContain('Mẫu số 05');
    expect(form.text).toContain('PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ');
    const rows = form.fields.rows as { step: string; from: { party: string; person: string }; to: { party: string; person: string };
      timing: string; timingLabel: string }[];
    expect(rows.map((r) => [r.step, r.to.party, r.to.person])).toEqual([
      ['Tiếp nhận, kiểm tra hồ sơ', 'Bộ phận Một cửa', 'Nguyễn Thị Lan'],
      ['Thẩm định, ghi Sổ hộ tịch', 'Công chức Tư pháp - Hộ tịch', 'Trần Văn Bình'],
      ['Thẩm định, ghi Sổ hộ tịch', 'Công chức Tư pháp - Hộ tịch', 'Trần Văn Bình'],
      ['Ký Giấy khai sinh', 'Lãnh đạo UBND phường', 'Lê Quốc Cường'],
      ['Trả kết quả', 'Tổ chức, cá nhân', 'Lê Thị Hồng Nhung'],
    ]);
    // each hop is handed over by whoever finished the one before
    expect(rows.map((r) => r.from.person)).toEqual(['Lê Thị Hồng Nhung', 'Nguyễn Thị Lan', 'Trần Văn Bình', 'Trần Văn Bình', 'Lê Quốc Cường']);
    // everything finished well before its due time, on the day it started (the hops' deadlines are hours)
    for (const r of rows) expect(['early', 'on-time']).toContain(r.timing);
    expect(form.html.match(/<tr class="hop"/g)).toHaveLength(5);
    expect(form.pdfText).toContain('Ký Giấy khai sinh');
    expect(form.pdfText).toMatch(/Trước hạn|Đúng hạn/);
    expect(parseQrText(qrOfHtml(form.html))).toMatchObject({ document: 'Phiếu kiểm soát quá trình giải quyết hồ sơ', dossierCode: code });
  });

  test('no apology was issued, so form 04 does not apply', async () => {
    const res = await http.get(`/api/dossiers/${code}/forms/apology`, lan);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('no apology');
  });
});

test('form 03, the refusal, lists each written reason', async () => {
  const { body } = await http.post('/api/dossiers', birthRegistration({ applicant: { fullName: 'Phạm Văn Tú', idNumber: '079201000111' } }));
  await completeTask(http, lan, body.code, 'receive', { outcome: 'refuse', comment: '1. Hồ sơ không thuộc thẩm quyền của phường\n2. Giấy chứng sinh bị tẩy xóa' });
  const form = await fetchForm(`/api/dossiers/${body.code}/forms/refusal`, body.applicantToken, '03-refusal');
  expect(form.text).toContain('Mẫu số 03');
  expect(form.text).toContain('PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ');
  expect(form.text).toContain('Tiếp nhận hồ sơ của: Phạm Văn Tú');
  expect(form.fields.reasons).toEqual(['Hồ sơ không thuộc thẩm quyền của phường', 'Giấy chứng sinh bị tẩy xóa']);
  expect(form.html).toContain('<li>Giấy chứng sinh bị tẩy xóa</li>');
  expect(form.text).toContain('Người tiếp nhận hồ sơ (Ký và ghi rõ họ tên) Nguyễn Thị Lan');
  expect(parseQrText(qrOfHtml(form.html))).toMatchObject({ document: 'Phiếu từ chối tiếp nhận giải quyết hồ sơ', dossierCode: body.code,
    procedureCode: '1.001193', applicantId: '079201000111' });
  expect(form.pdfText).toContain('Hồ sơ không thuộc thẩm quyền của phường');
  for (const other of ['receipt', 'control-slip', 'supplement-request']) {
    expect((await http.get(`/api/dossiers/${body.code}/forms/${other}`, lan)).status).toBe(409);
  }
});

test('form 04, the apology, and a control slip with a hop to a partner agency', async () => {
  const { body } = await http.post('/api/dossiers', birthRegistration({ procedureCode: LINKED, application: {},
    applicant: { fullName: 'Đỗ Minh Quân', idNumber: '089099000222', organization: 'Công ty TNHH Mỹ Bình' } }));
  const { code } = body;
  const { dossier: accepted } = await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'Đủ hồ sơ' });
  const firstAppointment = accepted.appointmentAt as string;
  const newDate = DateTime.fromISO(firstAppointment).plus({ days: 3 }).toUTC().toISO()!;
  await completeTask(http, cuong, code, '__apology', { outcome: 'issued', data: { newAppointmentAt: newDate, reason: 'Chờ kết quả liên thông khai sinh' } });

  const apology = await fetchForm(`/api/dossiers/${code}/forms/apology`, lan, '04-apology');
  expect(apology.text).toContain('Mẫu số 04');
  expect(apology.text).toContain('PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ');
  expect(apology.text).toContain('Kính gửi: Đỗ Minh Quân (Công ty TNHH Mỹ Bình)');
  expect(apology.text).toContain(`Thời hẹn trả kết quả giải quyết hồ sơ: ${vnDateTime(firstAppointment)}`);
  expect(apology.text).toContain('Lý do: Chờ kết quả liên thông khai sinh');
  expect(apology.text).toContain(`trả kết quả giải quyết hồ sơ cho ông/bà vào ${vnDateTime(newDate)}`);
  expect(apology.text).toContain('Thủ trưởng cơ quan (Ký, ghi rõ họ tên và đóng dấu) Lê Quốc Cường');
  expect(parseQrText(qrOfHtml(apology.html))).toMatchObject({ document: 'Phiếu xin lỗi và hẹn lại ngày trả kết quả', dossierCode: code,
    procedureCode: LINKED, applicantId: '089099000222', appointmentAt: newDate });
  expect(apology.pdfText).toContain('Chờ kết quả liên thông khai sinh');

  // the partner dossier (birth registration) is received, appraised and signed; then the lead agency signs
  const partner = (await env.db('handoffs').where({ dossier_code: code }).first()).partner_dossier_code as string;
  await completeTask(http, lan, partner, 'receive', { outcome: 'accept' });
  await completeTask(http, binh, partner, 'review', { outcome: 'approve', data: { documentsComplete: true } });
  await completeTask(http, cuong, partner, 'sign', { outcome: 'approve' });
  await completeTask(http, cuong, code, 'sign', { outcome: 'approve' });

  const slip = await fetchForm(`/api/dossiers/${code}/forms/control-slip`, lan, '05-control-slip-handoff');
  const rows = slip.fields.rows as { step: string; from: { party: string; person: string }; to: { party: string; person: string; at: string };
    timing: string; note: string }[];
  // the apology and the handoff start together after acceptance, in either order
  expect(rows.map((r) => r.step)).toEqual(['Tiếp nhận', ...[rows[1].step, rows[2].step].sort(), 'Ký duyệt', 'Trả kết quả']);
  expect([rows[1].step, rows[2].step].sort()).toEqual(['Liên thông: Ủy ban nhân dân phường Mỹ Bình', 'Phiếu xin lỗi và hẹn lại ngày trả kết quả']);
  const hop = rows.find((r) => r.step.startsWith('Liên thông'))!;
  expect(hop).toMatchObject({ from: { party: 'Ủy ban nhân dân phường Mỹ Bình' }, to: { party: 'Ủy ban nhân dân phường Mỹ Bình', person: 'Nguyễn Thị Lan' },
    note: `Hồ sơ ${partner}` });
  expect(['early', 'on-time']).toContain(hop.timing);
  expect(hop.to.at).toBeTruthy();
  expect(slip.pdfText.replace(/\s/g, '')).toContain(`Hồsơ${partner}`);
});

test('form 06, the register of an agency for a period: officers of the agency only', async () => {
  const { body } = await http.post('/api/dossiers', birthRegistration({ applicant: { fullName: 'Vũ Thị Sổ', idNumber: '089188777666',
    phone: '0911222333', address: 'Ấp Mỹ Hòa' } }));
  await completeTask(http, lan, body.code, 'receive', { outcome: 'accept' });
  const today = DateTime.now().setZone('Asia/Ho_Chi_Minh').toISODate()!;
  const form = await fetchForm(`/api/forms/register?agency=UBND-XA-MY-BINH&from=${today}&to=${today}`, lan, '06-register');
  expect(form.text).toContain('Mẫu số 06');
  expect(form.text).toContain('SỔ THEO DÕI HỒ SƠ');
  const entry = form.fields.rows.find((r: { code: string }) => r.code === body.code);
  expect(entry).toMatchObject({ procedureName: 'Đăng ký khai sinh', applicant: 'Vũ Thị Sổ', contact: 'Ấp Mỹ Hòa; 0911222333', copies: 1,
    receivedAt: DateTime.now().setZone('Asia/Ho_Chi_Minh').toFormat('dd/MM/yyyy') });
  expect(entry.handlingUnits).toContain('Bộ phận Một cửa');
  expect(form.html).toContain(`<td class="code">${body.code}</td>`);
  expect(form.pdfText).toContain('Vũ Thị Sổ');

  expect((await http.get(`/api/forms/register?from=${today}`, lan)).status).toBe(400);
  expect((await http.get(`/api/forms/register?from=${today}&to=${today}`, body.applicantToken)).status).toBe(403);
  expect((await http.get(`/api/forms/register?agency=OTHER&from=${today}&to=${today}`, lan)).status).toBe(403);
  const yesterday = DateTime.fromISO(today).minus({ days: 1 }).toISODate();
  const before = await http.get(`/api/forms/register?from=${yesterday}&to=${yesterday}&format=json`, lan);
  expect(before.body.rows.map((r: { code: string }) => r.code)).not.toContain(body.code);
});
