import {
  buildDossierForm,
  buildRegister,
  controlSlipRows,
  FormNotApplicableError,
  hopTiming,
  reasonItems,
  type FormInput,
  type ReceiptForm,
  type SupplementForm,
} from '../../domain/forms';
import { formPdfDefinition } from '../../domain/forms-pdf';
import { parseQrText, qrDataUrl, qrPng, qrText, resultQr } from '../../domain/qr';
import { decodeQrDataUrl, decodeQrPng, pdfText } from '../support/forms';

const ZONE = 'Asia/Ho_Chi_Minh';
const CODE = '000.31.31.H01-261123-0007';

/** A dossier accepted at 09:15 local on 23/11/2026, appointment 24/11 09:15, as the service reads it; with overrides. */
function input(overrides: Partial<FormInput> = {}, dossier: Partial<FormInput['dossier']> = {}): FormInput {
  return {
    systemName: 'Hệ thống một cửa thử', zone: ZONE, now: '2026-11-23T05:00:00.000Z',
    agency: { code: 'UBND-XA-MY-BINH', name: 'Ủy ban nhân dân phường Mỹ Bình', nationalCode: '000.31.31.H01' },
    counterUnitName: 'Bộ phận Một cửa',
    dossier: {
      code: CODE, procedureCode: '1.001193', procedureName: 'Đăng ký khai sinh', channel: 'online', status: 4,
      applicant: { fullName: 'Nguyễn Văn An', idNumber: '089188000456', phone: '0912345678' }, returnChannel: 'electronic',
      submittedAt: '2026-11-23T02:00:00.000Z', acceptedAt: '2026-11-23T02:15:00.000Z', appointmentAt: '2026-11-24T02:15:00.000Z',
      originalAppointmentAt: null, finishedAt: null, returnedAt: null, ...dossier,
    },
    plan: { deadline: { workingDays: 1 }, documents: [
      { code: 'TO-KHAI', name: 'Tờ khai đăng ký khai sinh', required: true },
      { code: 'GIAY-CHUNG-SINH', name: 'Giấy chứng sinh', required: true },
    ] },
    events: [
      { at: '2026-11-23T02:00:00.000Z', type: 'status', fromStatus: null, toStatus: 1, stepId: null, actor: 'applicant', actorName: 'Nguyễn Văn An', reason: 'Nộp hồ sơ', data: null },
      { at: '2026-11-23T02:15:00.000Z', type: 'status', fromStatus: 1, toStatus: 2, stepId: 'receive', actor: 'lan.motcua-mybinh', actorName: 'Nguyễn Thị Lan', reason: 'Đủ', data: null },
    ],
    tasks: [
      { stepId: 'receive', stepName: 'Tiếp nhận', stepKind: 'reception', iteration: 1, unitName: 'Bộ phận Một cửa', state: 'completed', outcome: 'accept',
        data: null, comment: 'Đủ', claimedByName: null, completedByName: 'Nguyễn Thị Lan', completedAt: '2026-11-23T02:15:00.000Z',
        dueAt: '2026-11-23T04:00:00.000Z', createdAt: '2026-11-23T02:00:01.000Z' },
    ],
    handoffs: [],
    documents: [
      { code: 'GIAY-CHUNG-SINH', fileName: null, reused: true, digitizationCode: null },
      { code: 'TO-KHAI', fileName: 'to-khai.pdf', reused: false, digitizationCode: `${CODE}-TP01` },
    ],
    ...overrides,
  };
}

describe('QR payloads', () => {
  const payload = { system: 'Hệ thống một cửa', document: 'Giấy tiếp nhận hồ sơ và hẹn trả kết quả', dossierCode: CODE, procedureCode: '1.001193',
    applicantId: '089188000456', issuedAt: '2026-11-23T02:15:00.000Z', appointmentAt: '2026-11-24T02:15:00.000Z' };

  test('the text is compact JSON, keys in a fixed order, and reads back', () => {
    const text = qrText({ ...payload });
    expect(text.startsWith('{"v":1,"system":"Hệ thống một cửa","document":')).toBe(true);
    expect(parseQrText(text)).toEqual({ v: 1, ...payload });
    expect(qrText({ ...payload, appointmentAt: undefined })).not.toContain('appointmentAt');
  });

  test('a text missing what the law requires is refused', () => {
    expect(() => parseQrText(JSON.stringify({ v: 1, system: 'x', dossierCode: CODE }))).toThrow(/missing document, procedureCode, applicantId, issuedAt/);
    expect(() => parseQrText(JSON.stringify({ ...payload, v: 2 }))).toThrow(/not a version 1/);
  });

  test('the image decodes to the exact text, Vietnamese included', async () => {
    const text = qrText(payload);
    expect(decodeQrPng(await qrPng(text))).toBe(text);
    expect(decodeQrDataUrl(await qrDataUrl(text))).toBe(text);
  });

  test('a result carries its result code', async () => {
    const qr = await resultQr({ systemName: 'Hệ thống một cửa', dossierCode: CODE, procedureCode: '1.001193', applicantId: '089188000456',
      documentName: 'Giấy khai sinh', resultCode: `${CODE}-KQ1`, issuedAt: '2026-11-24T01:00:00.000Z' });
    expect(parseQrText(decodeQrPng(qr.png))).toEqual({ v: 1, system: 'Hệ thống một cửa', document: 'Giấy khai sinh', dossierCode: CODE,
      procedureCode: '1.001193', applicantId: '089188000456', issuedAt: '2026-11-24T01:00:00.000Z', resultCode: `${CODE}-KQ1` });
    expect(decodeQrDataUrl(qr.dataUrl)).toBe(qr.text);
  });
});

describe('early, on time or late', () => {
  test.each([
    ['done the day before the due day', '2026-11-23T09:00:00Z', '2026-11-24T02:00:00Z', 'early'],
    ['done the due day, before the due time', '2026-11-24T01:00:00Z', '2026-11-24T08:00:00Z', 'on-time'],
    ['done exactly at the due time', '2026-11-24T08:00:00Z', '2026-11-24T08:00:00Z', 'on-time'],
    ['done a minute after', '2026-11-24T08:01:00Z', '2026-11-24T08:00:00Z', 'late'],
    // 00:30 on the 24th in Hồ Chí Minh City is still the 23rd in UTC: the agency's day counts
    ['the day is the agency\'s local day', '2026-11-23T17:30:00Z', '2026-11-24T01:00:00Z', 'on-time'],
  ])('%s', (_what, done, due, expected) => {
    expect(hopTiming(done, due, '2026-11-30T00:00:00Z', ZONE)).toBe(expected);
  });
  test('unfinished hops are in progress, overdue once past due; no due date is no deadline', () => {
    expect(hopTiming(null, '2026-11-24T08:00:00Z', '2026-11-24T07:00:00Z', ZONE)).toBe('in-progress');
    expect(hopTiming(null, '2026-11-24T08:00:00Z', '2026-11-24T09:00:00Z', ZONE)).toBe('overdue');
    expect(hopTiming('2026-11-24T08:00:00Z', null, '2026-11-24T09:00:00Z', ZONE)).toBe('no-deadline');
  });
});

test('written reasons split into items, numbering and bullets dropped, each once', () => {
  expect(reasonItems('1. Thiếu giấy chứng sinh\n2) Tờ khai chưa ký; - thiếu giấy chứng sinh\n\n')).toEqual(['Thiếu giấy chứng sinh', 'Tờ khai chưa ký']);
  expect(reasonItems('')).toEqual([]);
  expect(reasonItems(null)).toEqual([]);
});

describe('forms from a dossier', () => {
  test('the receipt lists the documents in the procedure\'s order, with the appointment in words and in the QR', () => {
    const form = buildDossierForm('receipt', input()) as ReceiptForm;
    expect(form.header).toEqual({ formNo: 'Mẫu số 01', title: 'GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ', agencyName: 'Ủy ban nhân dân phường Mỹ Bình',
      unitName: 'Bộ phận Một cửa', dateLine: 'ngày 23 tháng 11 năm 2026' });
    expect(form.documents).toEqual([
      { index: 1, name: 'Tờ khai đăng ký khai sinh', kind: 'Bản điện tử', note: `${CODE}-TP01 – to-khai.pdf` },
      { index: 2, name: 'Giấy chứng sinh', kind: 'Tái sử dụng dữ liệu điện tử', note: '' },
    ]);
    expect(form).toMatchObject({ receivedAt: '09 giờ 15 phút, ngày 23 tháng 11 năm 2026', appointmentAt: '09 giờ 15 phút, ngày 24 tháng 11 năm 2026',
      legalTime: '1 ngày làm việc', receivedBy: 'Nguyễn Thị Lan', returnChannel: 'Trực tuyến (nhận kết quả điện tử)' });
    expect(parseQrText(form.qrText!)).toMatchObject({ appointmentAt: '2026-11-24T02:15:00.000Z', issuedAt: '2026-11-23T02:15:00.000Z',
      applicantId: '089188000456', system: 'Hệ thống một cửa thử' });
  });

  test('a form that does not apply says why', () => {
    expect(() => buildDossierForm('refusal', input())).toThrow(FormNotApplicableError);
    expect(() => buildDossierForm('apology', input())).toThrow(/no apology was issued/);
    expect(() => buildDossierForm('supplement-request', input())).toThrow(/no supplement was requested/);
    const fresh = input({ events: input().events.slice(0, 1) }, { status: 1, acceptedAt: null, appointmentAt: null });
    expect(() => buildDossierForm('receipt', fresh)).toThrow(/has not been accepted \(status 1: Mới đăng ký\)/);
    expect(() => buildDossierForm('control-slip', fresh)).toThrow(FormNotApplicableError);
  });

  test('the supplement request lists each missing item once: from the officer\'s list, else from the written reasons', () => {
    const first = { at: '2026-11-23T03:00:00.000Z', type: 'status', fromStatus: 4, toStatus: 5, stepId: 'review', actor: 'binh', actorName: 'Trần Văn Bình',
      reason: '1. Giấy chứng sinh mờ\n2. Thiếu chữ ký', data: null };
    const second = { ...first, at: '2026-11-23T06:00:00.000Z', reason: 'Thiếu giấy ủy quyền' };
    const task = (completedAt: string, data: Record<string, unknown> | null) => ({ ...input().tasks[0], stepId: 'review', stepKind: 'task',
      stepName: 'Thẩm định', unitName: 'Tư pháp', outcome: 'missing', data, completedAt, createdAt: '2026-11-23T02:16:00.000Z' });
    const base = input();
    const withTwo = input({ events: [...base.events, first, second], tasks: [...base.tasks,
      task('2026-11-23T03:00:00.000Z', null),
      task('2026-11-23T06:00:00.000Z', { missing: [{ document: 'GIAY-CHUNG-SINH', reason: 'Bản mờ' }, { code: 'GIAY-CHUNG-SINH' }, 'Giấy ủy quyền',
        { name: 'giấy ủy quyền', reason: 'Chưa có bản gốc' }, 42] }),
    ] });
    const latest = buildDossierForm('supplement-request', withTwo) as SupplementForm;
    expect(latest.ordinal).toBe(2);
    expect(latest.items).toEqual([{ index: 1, name: 'Giấy chứng sinh', reason: 'Bản mờ' }, { index: 2, name: 'Giấy ủy quyền', reason: 'Chưa có bản gốc' }]);
    const earlier = buildDossierForm('supplement-request', withTwo, { ordinal: 1 }) as SupplementForm;
    expect(earlier.items.map((i) => i.name)).toEqual(['Giấy chứng sinh mờ', 'Thiếu chữ ký']);
    expect(earlier.requestedBy).toBe('Trần Văn Bình');
    expect(() => buildDossierForm('supplement-request', withTwo, { ordinal: 3 })).toThrow(/had 2 supplement request\(s\), not 3/);
  });

  test('the control slip of a counter dossier with a partner agency: reception, each hop, the handoff, the return', () => {
    const base = input();
    const rows = controlSlipRows(input({
      tasks: [
        { ...base.tasks[0], stepId: 'review', stepName: 'Thẩm định', stepKind: 'task', unitName: 'Tư pháp', completedByName: 'Trần Văn Bình',
          createdAt: '2026-11-23T02:15:30.000Z', completedAt: '2026-11-23T09:00:00.000Z', dueAt: '2026-11-23T08:00:00.000Z' },
      ],
      handoffs: [{ toAgencyName: 'Công an phường', partnerDossierCode: '000.31.31.H02-261123-0001', handedByName: 'Trần Văn Bình',
        handedAt: '2026-11-23T09:00:00.000Z', dueAt: '2026-11-25T09:00:00.000Z', receivedByName: 'Đinh Văn Công',
        receivedAt: '2026-11-23T10:00:00.000Z', outcome: 'done', returnedAt: '2026-11-24T01:00:00.000Z' }],
    }, { channel: 'counter', returnedAt: '2026-11-24T02:00:00.000Z' }));
    expect(rows.map((r) => [r.step, r.from.person, r.to.party, r.to.person, r.timingLabel])).toEqual([
      ['Tiếp nhận hồ sơ', 'Nguyễn Văn An', 'Bộ phận Một cửa', 'Nguyễn Thị Lan', 'Không quy định thời hạn'],
      ['Thẩm định', 'Nguyễn Thị Lan', 'Tư pháp', 'Trần Văn Bình', 'Quá hạn'],
      ['Liên thông: Công an phường', 'Trần Văn Bình', 'Công an phường', 'Đinh Văn Công', 'Trước hạn'],
      ['Trả kết quả', 'Đinh Văn Công', 'Tổ chức, cá nhân', 'Nguyễn Văn An', 'Đúng hạn'],
    ]);
    expect(rows[2].note).toBe('Hồ sơ 000.31.31.H02-261123-0001');
  });

  test('the register notes dossiers finished late', () => {
    const form = buildRegister({ zone: ZONE, now: '2026-11-30T00:00:00Z', agency: { code: 'A', name: 'Ủy ban nhân dân phường Mỹ Bình' },
      from: '2026-11-01', to: '2026-11-30', dossiers: [{ code: CODE, procedureName: 'Đăng ký khai sinh',
        applicant: { fullName: 'Nguyễn Văn An', idNumber: '1', organization: 'Công ty A', phone: '0912345678', address: 'Ấp 1' }, status: 10,
        submittedAt: '2026-11-23T02:00:00Z', acceptedAt: '2026-11-23T02:15:00Z', appointmentAt: '2026-11-24T02:15:00Z',
        finishedAt: '2026-11-25T02:00:00Z', returnedAt: '2026-11-25T03:00:00Z', overdue: false, handlingUnits: ['Bộ phận Một cửa', 'Tư pháp'],
        transferredAt: '2026-11-23T02:16:00Z' }] });
    expect(form.period).toBe('Từ ngày 01/11/2026 đến ngày 30/11/2026');
    expect(form.rows[0]).toEqual({ index: 1, code: CODE, procedureName: 'Đăng ký khai sinh', copies: 1, applicant: 'Nguyễn Văn An – Công ty A',
      contact: 'Ấp 1; 0912345678', handlingUnits: 'Bộ phận Một cửa, Tư pháp', receivedAt: '23/11/2026', appointmentAt: '24/11/2026',
      transferredAt: '23/11/2026', finishedAt: '25/11/2026', returnedAt: '25/11/2026', note: 'Đã trả kết quả, trễ hạn' });
  });

  test('the PDF layout renders Vietnamese text and the QR image', async () => {
    const pdfmake = require('pdfmake') as typeof import('pdfmake');
    pdfmake.setFonts(require('pdfmake/fonts/Roboto'));
    pdfmake.setUrlAccessPolicy(() => false);
    pdfmake.setLocalAccessPolicy(() => true);
    const form = buildDossierForm('receipt', input());
    const pdf = await pdfmake.createPdf(formPdfDefinition(form, await qrDataUrl(form.qrText!), ZONE)).getBuffer();
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.includes('/Subtype /Image')).toBe(true);
    const { text, pages } = await pdfText(pdf);
    expect(pages).toBe(1);
    for (const shown of ['CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', 'GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ', 'Tờ khai đăng ký khai sinh',
      '09 giờ 15 phút, ngày 24 tháng 11 năm 2026', 'Nguyễn Thị Lan']) expect(text).toContain(shown);
  });
});
