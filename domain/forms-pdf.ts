/**
 * The PDF layout of each form (pdfmake document definitions), from the same models the HTML
 * templates use. Pure: the renderer adds fonts and turns the definition into bytes.
 */
import type { Content, TableCell, TDocumentDefinitions } from 'pdfmake/interfaces';
import {
  shortDateTime,
  type AnyForm,
  type ApologyForm,
  type ApplicantLines,
  type ControlSlipForm,
  type ReceiptForm,
  type RefusalForm,
  type RegisterForm,
  type SupplementForm,
} from './forms';

const MM = 72 / 25.4;
const MARGINS: [number, number, number, number] = [25 * MM, 20 * MM, 15 * MM, 20 * MM];
const PAGE = { portrait: 210 * MM, landscape: 297 * MM };

/** A short horizontal rule centred in a column `width` points wide. */
function rule(width: number): Content {
  const len = width * 0.45;
  // a canvas is as wide as its line, so the column's centring centres it
  return { canvas: [{ type: 'line', x1: 0, y1: 2, x2: len, y2: 2, lineWidth: 0.6 }], margin: [0, 0, 0, 4] };
}

function heading(form: AnyForm, contentWidth: number): Content[] {
  const leftWidth = contentWidth * 0.42;
  const rightWidth = contentWidth - leftWidth;
  const h = form.header;
  return [
    { text: h.formNo, alignment: 'right', bold: true, fontSize: 10, margin: [0, 0, 0, 4] },
    {
      columns: [
        { width: leftWidth, alignment: 'center', stack: [
          { text: h.agencyName.toLocaleUpperCase('vi'), fontSize: 10.5 },
          ...(h.unitName ? [{ text: h.unitName.toLocaleUpperCase('vi'), bold: true, fontSize: 10.5 }] : []),
          rule(leftWidth),
        ] },
        { width: rightWidth, alignment: 'center', stack: [
          { text: 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', bold: true, fontSize: 10.5 },
          { text: 'Độc lập - Tự do - Hạnh phúc', bold: true, fontSize: 11.5 },
          rule(rightWidth),
        ] },
      ],
    },
    {
      columns: [
        form.code ? { text: [{ text: 'Mã hồ sơ: ' }, { text: form.code, bold: true }] } : { text: '' },
        { text: h.dateLine, italics: true, alignment: 'right' },
      ],
      margin: [0, 6, 0, 0],
    },
  ];
}

function title(form: AnyForm, qr: string | null, subtitle?: string): Content {
  return {
    columns: [
      { width: 85, text: '' },
      { width: '*', stack: [
        { text: form.header.title, bold: true, fontSize: 13, alignment: 'center', margin: [0, 14, 0, 2] },
        ...(subtitle ? [{ text: subtitle, italics: true, alignment: 'center' as const }] : []),
      ] },
      qr ? { width: 85, stack: [{ image: qr, width: 80, alignment: 'center' }, { text: 'Mã QR', fontSize: 8, alignment: 'center' }] }
        : { width: 85, text: '' },
    ],
    margin: [0, 0, 0, 8],
  };
}

function applicant(lead: string, a: ApplicantLines, procedureName: string): Content[] {
  return [
    { text: [`${lead}: `, { text: a.fullName, bold: true }] },
    ...(a.organization ? [{ text: `Tổ chức: ${a.organization}` }] : []),
    { text: ['Địa chỉ: ', a.address ? a.address : { text: '(không kê khai)', italics: true }] },
    ...(a.phone || a.email ? [{ text: [a.phone ? `Số điện thoại: ${a.phone}      ` : '', a.email ? `Thư điện tử: ${a.email}` : ''].join('') }] : []),
    { text: ['Nội dung yêu cầu giải quyết: ', { text: procedureName, bold: true }] },
  ];
}

function signatures(left: { title: string; hint: string; name: string } | null, right: { title: string; hint: string; name: string }): Content {
  const block = (s: { title: string; hint: string; name: string } | null) => (s ? { stack: [
    { text: s.title.toLocaleUpperCase('vi'), bold: true },
    { text: s.hint, italics: true, fontSize: 10 },
    { text: s.name, bold: true, margin: [0, 48, 0, 0] as [number, number, number, number] },
  ], alignment: 'center' as const } : { text: '' });
  return { columns: [block(left), block(right)], margin: [0, 16, 0, 0] };
}

/** Tables keep each row on one page. */
const TABLE = { dontBreakRows: true } as const;
/** The register's many columns: thinner cell padding. */
const NARROW = { paddingLeft: () => 2, paddingRight: () => 2 };

const th = (text: string, extra: Partial<Record<'rowSpan' | 'colSpan', number>> = {}): TableCell => ({ text, bold: true, alignment: 'center', ...extra });

function receipt(f: ReceiptForm, qr: string | null): Content[] {
  return [
    title(f, qr, '(Liên: Lưu / Giao người nộp hồ sơ)'),
    { text: `${f.header.unitName} – ${f.header.agencyName}` },
    ...applicant('Tiếp nhận hồ sơ của', f.applicant, f.procedureName),
    { text: '1. Thành phần hồ sơ và số lượng mỗi loại giấy tờ gồm:', margin: [0, 4, 0, 2] },
    { table: { ...TABLE, headerRows: 1, widths: [24, '*', 90, 110], body: [
      [th('STT'), th('Tên giấy tờ'), th('Hình thức'), th('Ghi chú')],
      ...(f.documents.length
        ? f.documents.map((d) => [{ text: String(d.index), alignment: 'center' as const }, d.name, d.kind, { text: d.note, fontSize: 9 }])
        : [['', { text: 'Không có giấy tờ kèm theo', italics: true, colSpan: 3 }, '', '']]),
    ] }, fontSize: 10.5 },
    { text: `2. Số lượng hồ sơ: ${f.copies} (bộ)`, margin: [0, 4, 0, 0] },
    { text: `3. Thời gian giải quyết hồ sơ theo quy định là: ${f.legalTime}` },
    { text: `4. Thời gian nhận hồ sơ: ${f.receivedAt}` },
    { text: ['5. Thời gian trả kết quả giải quyết hồ sơ: ', { text: f.appointmentAt, bold: true }] },
    { text: `6. Đăng ký nhận kết quả: ${f.returnChannel}` },
    { text: `Vào Sổ theo dõi hồ sơ, mã hồ sơ ${f.code}.` },
    signatures({ title: 'Người nộp hồ sơ', hint: '(Ký và ghi rõ họ tên)', name: f.applicant.fullName },
      { title: 'Người tiếp nhận hồ sơ', hint: '(Ký và ghi rõ họ tên)', name: f.receivedBy }),
  ];
}

function supplement(f: SupplementForm, qr: string | null): Content[] {
  return [
    title(f, qr),
    ...applicant('Hồ sơ của', f.applicant, f.procedureName),
    { text: `Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau${f.ordinal > 1 ? ` (yêu cầu lần ${f.ordinal})` : ''}:`, margin: [0, 4, 0, 2] },
    { table: { ...TABLE, headerRows: 1, widths: [24, '*', '*'], body: [
      [th('STT'), th('Nội dung cần bổ sung, hoàn thiện'), th('Lý do')],
      ...f.items.map((i) => [{ text: String(i.index), alignment: 'center' as const }, i.name, i.reason ?? '']),
    ] }, fontSize: 10.5 },
    { text: `Lý do: ${f.reason}`, margin: [0, 4, 0, 0] },
    { text: `Thời hạn giải quyết được tạm dừng từ ${f.requestedAt} cho đến khi nhận đủ hồ sơ bổ sung; ngày hẹn trả kết quả được lùi tương ứng.` },
    { text: `Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, ông/bà liên hệ với ${f.contactUnit} – ${f.header.agencyName} để được hướng dẫn.` },
    { text: 'Xin trân trọng cảm ơn./.' },
    signatures(null, { title: 'Người hướng dẫn', hint: '(Ký và ghi rõ họ tên)', name: f.requestedBy }),
  ];
}

function refusal(f: RefusalForm, qr: string | null): Content[] {
  return [
    title(f, qr),
    { text: `${f.header.unitName} – ${f.header.agencyName}` },
    ...applicant('Tiếp nhận hồ sơ của', f.applicant, f.procedureName),
    { text: `Sau khi xem xét hồ sơ, đối chiếu với quy định hiện hành, ${f.header.unitName} thông báo không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:`,
      margin: [0, 4, 0, 2] },
    { ol: f.reasons, margin: [10, 0, 0, 4] },
    { text: 'Xin thông báo để ông/bà biết và thực hiện./.' },
    signatures(null, { title: 'Người tiếp nhận hồ sơ', hint: '(Ký và ghi rõ họ tên)', name: f.refusedBy }),
  ];
}

function apology(f: ApologyForm, qr: string | null): Content[] {
  const agency = f.header.agencyName;
  return [
    title(f, qr),
    { text: ['Kính gửi: ', { text: f.applicant.fullName, bold: true }, f.applicant.organization ? ` (${f.applicant.organization})` : ''],
      alignment: 'center', margin: [0, 0, 0, 6] },
    { text: `${f.acceptedAt}, ${agency} tiếp nhận giải quyết hồ sơ của ông/bà.` },
    { text: ['Nội dung yêu cầu giải quyết: ', { text: f.procedureName, bold: true }] },
    { text: `Thời hẹn trả kết quả giải quyết hồ sơ: ${f.previousAppointmentAt}` +
      `${f.originalAppointmentAt !== f.previousAppointmentAt ? ` (ngày hẹn ban đầu: ${f.originalAppointmentAt})` : ''}.` },
    { text: `Tuy nhiên đến nay, ${agency} chưa trả kết quả giải quyết hồ sơ của ông/bà.` },
    { text: `Lý do: ${f.reason}` },
    { text: [`Sự chậm trễ này đã gây phiền hà cho ông/bà. ${agency} xin lỗi ông/bà và sẽ trả kết quả giải quyết hồ sơ cho ông/bà vào `,
      { text: f.newAppointmentAt, bold: true }, '.'] },
    { text: 'Xin trân trọng cảm ơn./.' },
    signatures(null, { title: 'Thủ trưởng cơ quan', hint: '(Ký, ghi rõ họ tên và đóng dấu)', name: f.signedBy }),
  ];
}

function controlSlip(f: ControlSlipForm, qr: string | null, zone: string): Content[] {
  const dt = (iso: string | null) => shortDateTime(iso, zone);
  const party = (p: { party: string; person: string | null; at: string | null }) =>
    ({ stack: [p.party, ...(p.person ? [p.person] : []), ...(p.at ? [{ text: dt(p.at), italics: true }] : [])] });
  return [
    title(f, qr, '(Kèm theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả)'),
    { text: ['Người nộp hồ sơ: ', { text: f.applicantName, bold: true }, '      Nội dung yêu cầu giải quyết: ', { text: f.procedureName, bold: true }] },
    { text: ['Nhận hồ sơ: ', f.receivedAt, '      Hẹn trả kết quả: ', { text: f.appointmentAt, bold: true }], margin: [0, 0, 0, 6] },
    { table: { ...TABLE, headerRows: 1, widths: [22, 95, '*', '*', 68, 68, 72, 95], body: [
      [th('STT'), th('Bước xử lý'), th('Bên giao'), th('Bên nhận'), th('Hạn xử lý'), th('Hoàn thành'),
        th('Kết quả (trước hạn / đúng hạn / quá hạn)'), th('Ghi chú')],
      ...f.rows.map((r) => [{ text: String(r.index), alignment: 'center' as const }, r.step, party(r.from), party(r.to), dt(r.dueAt), dt(r.doneAt),
        { text: r.timingLabel, bold: r.timing === 'late' || r.timing === 'overdue' }, r.note ?? '']),
    ] }, fontSize: 9 },
  ];
}

function register(f: RegisterForm): Content[] {
  return [
    { text: f.header.title, bold: true, fontSize: 13, alignment: 'center', margin: [0, 12, 0, 2] },
    { text: f.period, italics: true, alignment: 'center', margin: [0, 0, 0, 8] },
    { table: { ...TABLE, headerRows: 2, widths: [14, 104, 60, 22, 56, 56, '*', 46, 46, 46, 46, 46, 44], body: [
      [th('STT', { rowSpan: 2 }), th('Mã hồ sơ', { rowSpan: 2 }), th('Tên thủ tục hành chính', { rowSpan: 2 }),
        th('Số lượng hồ sơ (bộ)', { rowSpan: 2 }), th('Tên cá nhân, tổ chức', { rowSpan: 2 }), th('Địa chỉ, số điện thoại', { rowSpan: 2 }),
        th('Cơ quan, đơn vị giải quyết', { rowSpan: 2 }), th('Ngày, tháng, năm', { colSpan: 5 }), '', '', '', '', th('Ghi chú', { rowSpan: 2 })],
      ['', '', '', '', '', '', '', th('Nhận hồ sơ'), th('Hẹn trả kết quả'), th('Chuyển hồ sơ đến đơn vị giải quyết'), th('Có kết quả giải quyết'),
        th('Trả kết quả'), ''],
      ...(f.rows.length ? f.rows.map((r) => [{ text: String(r.index), alignment: 'center' as const }, r.code, r.procedureName,
        { text: String(r.copies), alignment: 'center' as const }, r.applicant, r.contact, r.handlingUnits, r.receivedAt, r.appointmentAt,
        r.transferredAt, r.finishedAt, r.returnedAt, r.note])
        : [[{ text: 'Không có hồ sơ trong kỳ.', italics: true, colSpan: 13 }, '', '', '', '', '', '', '', '', '', '', '', '']]),
    ] }, layout: NARROW, fontSize: 7.5 },
  ];
}

/** The pdfmake document of a form; `qrDataUrl` is the QR image (PNG data URL) when the form has one. */
export function formPdfDefinition(form: AnyForm, qrDataUrl: string | null, zone: string): TDocumentDefinitions {
  const contentWidth = (form.landscape ? PAGE.landscape : PAGE.portrait) - MARGINS[0] - MARGINS[2];
  let body: Content[];
  switch (form.form) {
    case 'receipt': body = receipt(form, qrDataUrl); break;
    case 'supplement-request': body = supplement(form, qrDataUrl); break;
    case 'refusal': body = refusal(form, qrDataUrl); break;
    case 'apology': body = apology(form, qrDataUrl); break;
    case 'control-slip': body = controlSlip(form, qrDataUrl, zone); break;
    case 'register': body = register(form); break;
  }
  return {
    pageSize: 'A4',
    pageOrientation: form.landscape ? 'landscape' : 'portrait',
    pageMargins: MARGINS,
    info: { title: `${form.header.formNo} – ${form.header.title}${form.code ? ` – ${form.code}` : ''}`, subject: form.header.title },
    defaultStyle: { font: 'Roboto', fontSize: 11, lineHeight: 1.2 },
    content: [...heading(form, contentWidth), ...body],
    footer: (page, pages) => ({ text: `${page}/${pages}`, alignment: 'center', fontSize: 8, margin: [0, 10, 0, 0] }),
  };
}
