/**
 * The official forms (TT 01/2018 numbering): what each one says, built from a dossier's rows. Pure:
 * the same model feeds the handlebars templates (HTML) and the PDF layout, so both show the same.
 */
import { DateTime } from 'luxon';
import type { Duration } from './plan';
import { qrText } from './qr';
import { DossierStatus, STATUS_LABELS, type DossierStatusCode } from './status';

/** The forms of one dossier, by their API name. */
export const DOSSIER_FORMS = ['receipt', 'supplement-request', 'refusal', 'apology', 'control-slip'] as const;
export type DossierFormKind = (typeof DOSSIER_FORMS)[number];
export type FormKind = DossierFormKind | 'register';

/** Number and official title of each form (TT 01/2018, Phụ lục). */
export const FORM_TITLES: Record<FormKind, { formNo: string; title: string; documentName: string }> = {
  receipt: { formNo: 'Mẫu số 01', title: 'GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ', documentName: 'Giấy tiếp nhận hồ sơ và hẹn trả kết quả' },
  'supplement-request': { formNo: 'Mẫu số 02', title: 'PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ',
    documentName: 'Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ' },
  refusal: { formNo: 'Mẫu số 03', title: 'PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ', documentName: 'Phiếu từ chối tiếp nhận giải quyết hồ sơ' },
  apology: { formNo: 'Mẫu số 04', title: 'PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ', documentName: 'Phiếu xin lỗi và hẹn lại ngày trả kết quả' },
  'control-slip': { formNo: 'Mẫu số 05', title: 'PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ',
    documentName: 'Phiếu kiểm soát quá trình giải quyết hồ sơ' },
  register: { formNo: 'Mẫu số 06', title: 'SỔ THEO DÕI HỒ SƠ', documentName: 'Sổ theo dõi hồ sơ' },
};

/** Raised when a form does not apply to the dossier in its present state (e.g. a refusal of an accepted dossier). */
export class FormNotApplicableError extends Error {
  override name = 'FormNotApplicableError';
}

export interface FormApplicant {
  fullName: string;
  idNumber: string;
  organization?: string;
  email?: string;
  phone?: string;
  address?: string;
}

/** A dossier's rows, as the service reads them (ISO instants, names resolved). */
export interface FormInput {
  systemName: string;
  zone: string;
  now: string;
  agency: { code: string; name: string; nationalCode: string };
  /** the unit receiving dossiers (Bộ phận Một cửa) */
  counterUnitName: string;
  dossier: {
    code: string;
    procedureCode: string;
    procedureName: string;
    channel: 'online' | 'counter' | 'postal';
    status: number;
    applicant: FormApplicant;
    returnChannel: string | null;
    submittedAt: string;
    acceptedAt: string | null;
    appointmentAt: string | null;
    originalAppointmentAt: string | null;
    finishedAt: string | null;
    returnedAt: string | null;
  };
  plan: { deadline: Duration; documents: { code: string; name: string; required: boolean; copies?: number }[] };
  events: { at: string; type: string; fromStatus: number | null; toStatus: number | null; stepId: string | null; actor: string;
    actorName: string | null; reason: string | null; data: Record<string, any> | null }[];
  tasks: { stepId: string; stepName: string; stepKind: string; iteration: number; unitName: string; state: string;
    outcome: string | null; data: Record<string, any> | null; comment: string | null; claimedByName: string | null;
    completedByName: string | null; completedAt: string | null; dueAt: string | null; createdAt: string }[];
  handoffs: { toAgencyName: string; partnerDossierCode: string | null; handedByName: string; handedAt: string; dueAt: string | null;
    receivedByName: string | null; receivedAt: string | null; outcome: string | null; returnedAt: string | null }[];
  documents: { code: string; fileName: string | null; reused: boolean; digitizationCode: string | null }[];
}

export interface FormHeader {
  formNo: string;
  title: string;
  agencyName: string;
  /** the issuing unit under the agency, when the form is the one-stop counter's */
  unitName: string | null;
  /** "ngày 23 tháng 11 năm 2026" */
  dateLine: string;
}

interface FormBase {
  header: FormHeader;
  code: string;
  /** A4 portrait or landscape */
  landscape: boolean;
  /** the QR code's text; the image is added by the renderer */
  qrText: string | null;
}

export interface ApplicantLines {
  fullName: string;
  organization: string | null;
  address: string | null;
  phone: string | null;
  email: string | null;
}

export interface ReceiptForm extends FormBase {
  form: 'receipt';
  applicant: ApplicantLines;
  procedureName: string;
  documents: { index: number; name: string; kind: string; note: string }[];
  copies: number;
  legalTime: string;
  receivedAt: string;
  appointmentAt: string;
  returnChannel: string;
  receivedBy: string;
}

export interface SupplementForm extends FormBase {
  form: 'supplement-request';
  applicant: ApplicantLines;
  procedureName: string;
  /** every missing item once */
  items: { index: number; name: string; reason: string | null }[];
  reason: string;
  requestedAt: string;
  requestedBy: string;
  contactUnit: string;
  /** which request this is (a second one counts the dossier late) */
  ordinal: number;
}

export interface RefusalForm extends FormBase {
  form: 'refusal';
  applicant: ApplicantLines;
  procedureName: string;
  reasons: string[];
  refusedAt: string;
  refusedBy: string;
}

export interface ApologyForm extends FormBase {
  form: 'apology';
  applicant: ApplicantLines;
  procedureName: string;
  /** "Ngày 23 tháng 11 năm 2026" */
  acceptedAt: string;
  originalAppointmentAt: string;
  previousAppointmentAt: string;
  newAppointmentAt: string;
  newAppointmentDate: string;
  reason: string;
  signedBy: string;
}

export type HopTiming = 'early' | 'on-time' | 'late' | 'in-progress' | 'overdue' | 'no-deadline';
export const TIMING_LABELS: Record<HopTiming, string> = {
  early: 'Trước hạn',
  'on-time': 'Đúng hạn',
  late: 'Quá hạn',
  'in-progress': 'Đang xử lý',
  overdue: 'Đang xử lý, đã quá hạn',
  'no-deadline': 'Không quy định thời hạn',
};

export interface ControlSlipRow {
  index: number;
  step: string;
  from: { party: string; person: string | null; at: string };
  to: { party: string; person: string | null; at: string | null };
  dueAt: string | null;
  doneAt: string | null;
  timing: HopTiming;
  timingLabel: string;
  note: string | null;
}

export interface ControlSlipForm extends FormBase {
  form: 'control-slip';
  applicantName: string;
  procedureName: string;
  receivedAt: string;
  appointmentAt: string;
  rows: ControlSlipRow[];
}

export interface RegisterRow {
  index: number;
  code: string;
  procedureName: string;
  copies: number;
  applicant: string;
  contact: string;
  handlingUnits: string;
  receivedAt: string;
  appointmentAt: string;
  transferredAt: string;
  finishedAt: string;
  returnedAt: string;
  note: string;
}

export interface RegisterForm extends FormBase {
  form: 'register';
  period: string;
  rows: RegisterRow[];
}

export type DossierForm = ReceiptForm | SupplementForm | RefusalForm | ApologyForm | ControlSlipForm;
export type AnyForm = DossierForm | RegisterForm;

/** "14 giờ 05 phút, ngày 23 tháng 11 năm 2026" in the agency's zone. */
export function vnDateTime(iso: string, zone: string): string {
  const t = DateTime.fromISO(iso, { zone });
  return `${t.toFormat('HH')} giờ ${t.toFormat('mm')} phút, ${vnDate(iso, zone)}`;
}

/** "ngày 23 tháng 11 năm 2026" in the agency's zone. */
export function vnDate(iso: string, zone: string): string {
  const t = DateTime.fromISO(iso, { zone });
  return `ngày ${t.toFormat('dd')} tháng ${t.toFormat('MM')} năm ${t.toFormat('yyyy')}`;
}

/** "14:05 23/11/2026", for table cells. */
export function shortDateTime(iso: string | null, zone: string): string {
  return iso ? DateTime.fromISO(iso, { zone }).toFormat('HH:mm dd/MM/yyyy') : '';
}

/** The legal processing time as the receipt states it. */
export function legalTimeText(d: Duration): string {
  const any = d as Record<string, unknown>;
  if (typeof any.workingDays === 'number') return `${any.workingDays} ngày làm việc`;
  if (typeof any.workingHours === 'number') return `${any.workingHours} giờ làm việc`;
  if (typeof any.days === 'number') return `${any.days} ngày`;
  return `${String(any.iso)}`;
}

export const RETURN_CHANNEL_LABELS: Record<string, string> = {
  electronic: 'Trực tuyến (nhận kết quả điện tử)',
  counter: 'Tại Bộ phận Một cửa',
  postal: 'Qua dịch vụ bưu chính công ích',
};

/**
 * Whether a hop ended early, on time or late against its due instant: late after it; early when it
 * ended on a day (agency zone) before the due day; otherwise on time. Unfinished hops are in progress,
 * or overdue once `now` is past the due instant.
 */
export function hopTiming(doneAt: string | null, dueAt: string | null, now: string, zone: string): HopTiming {
  if (!dueAt) return doneAt ? 'no-deadline' : 'in-progress';
  if (!doneAt) return Date.parse(now) > Date.parse(dueAt) ? 'overdue' : 'in-progress';
  if (Date.parse(doneAt) > Date.parse(dueAt)) return 'late';
  const day = (iso: string) => DateTime.fromISO(iso, { zone }).toISODate() as string;
  return day(doneAt) < day(dueAt) ? 'early' : 'on-time';
}

function applicantLines(a: FormApplicant): ApplicantLines {
  return { fullName: a.fullName, organization: a.organization ?? null, address: a.address ?? null, phone: a.phone ?? null,
    email: a.email ?? null };
}

/** Splits written reasons into items ("1. …", "- …", one per line or per ";"), each once. */
export function reasonItems(text: string | null | undefined): string[] {
  if (!text?.trim()) return [];
  const parts = text.split(/\r?\n|;/).map((s) => s.replace(/^\s*(?:\d+[.)]|[-•*])\s*/, '').trim()).filter(Boolean);
  const seen = new Set<string>();
  return parts.filter((p) => !seen.has(p.toLocaleLowerCase('vi')) && Boolean(seen.add(p.toLocaleLowerCase('vi'))));
}

function header(kind: FormKind, input: Pick<FormInput, 'agency' | 'counterUnitName' | 'zone'>, at: string, unit: boolean): FormHeader {
  const { formNo, title } = FORM_TITLES[kind];
  return { formNo, title, agencyName: input.agency.name, unitName: unit ? input.counterUnitName : null, dateLine: vnDate(at, input.zone) };
}

function qrFor(kind: DossierFormKind, input: FormInput, issuedAt: string, appointmentAt?: string): string {
  const d = input.dossier;
  return qrText({ system: input.systemName, document: FORM_TITLES[kind].documentName, dossierCode: d.code,
    procedureCode: d.procedureCode, applicantId: d.applicant.idNumber, issuedAt, appointmentAt });
}

const statusEvents = (input: FormInput, to: DossierStatusCode) => input.events.filter((e) => e.type === 'status' && e.toStatus === to);

function receipt(input: FormInput): ReceiptForm {
  const d = input.dossier;
  const accepted = statusEvents(input, DossierStatus.Accepted)[0];
  if (!d.acceptedAt || !d.appointmentAt || !accepted) {
    throw new FormNotApplicableError(`dossier ${d.code} has not been accepted (status ${d.status}: ${label(d.status)}), so it has no receipt`);
  }
  const names = new Map(input.plan.documents.map((doc) => [doc.code, doc]));
  // in the procedure's order of components, as the applicant's list reads
  const order = (c: string) => { const i = input.plan.documents.findIndex((doc) => doc.code === c); return i < 0 ? Infinity : i; };
  const documents = [...input.documents].sort((a, b) => order(a.code) - order(b.code)).map((doc, i) => ({
    index: i + 1,
    name: names.get(doc.code)?.name ?? doc.code,
    kind: doc.reused ? 'Tái sử dụng dữ liệu điện tử' : 'Bản điện tử',
    note: [doc.digitizationCode, doc.fileName].filter(Boolean).join(' – '),
  }));
  const appointmentAt = firstAppointment(input) ?? d.appointmentAt;
  return {
    form: 'receipt', header: header('receipt', input, d.acceptedAt, true), code: d.code, landscape: false,
    qrText: qrFor('receipt', input, d.acceptedAt, appointmentAt),
    applicant: applicantLines(d.applicant), procedureName: d.procedureName, documents, copies: 1,
    legalTime: legalTimeText(input.plan.deadline), receivedAt: vnDateTime(d.acceptedAt, input.zone),
    appointmentAt: vnDateTime(appointmentAt, input.zone),
    returnChannel: RETURN_CHANNEL_LABELS[d.returnChannel ?? ''] ?? d.returnChannel ?? '',
    receivedBy: accepted.actorName ?? accepted.actor,
  };
}

/** The appointment fixed at acceptance (the receipt keeps it; later moves have their own papers). */
function firstAppointment(input: FormInput): string | undefined {
  const accepted = statusEvents(input, DossierStatus.Accepted)[0];
  const fromEvent = accepted?.data?.appointmentAt as string | undefined;
  return fromEvent ?? input.dossier.originalAppointmentAt ?? input.dossier.appointmentAt ?? undefined;
}

function supplement(input: FormInput, ordinal?: number): SupplementForm {
  const d = input.dossier;
  const requests = statusEvents(input, DossierStatus.SupplementRequested);
  if (!requests.length) throw new FormNotApplicableError(`no supplement was requested for dossier ${d.code}`);
  const n = ordinal ?? requests.length;
  const request = requests[n - 1];
  if (!request) throw new FormNotApplicableError(`dossier ${d.code} had ${requests.length} supplement request(s), not ${n}`);
  // the task whose outcome asked for it: same step, completed at or just before the request
  const task = input.tasks.filter((t) => t.stepId === request.stepId && t.completedAt && t.completedAt <= request.at)
    .sort((a, b) => (a.completedAt! < b.completedAt! ? 1 : -1))[0];
  const names = new Map(input.plan.documents.map((doc) => [doc.code, doc.name]));
  const listed = [...asItems(task?.data?.missing), ...asItems(request.data?.missing)]
    .map((m) => ({ name: (m.document && names.get(m.document)) || m.name || m.document || '', reason: m.reason ?? null }))
    .filter((m) => m.name);
  const reason = request.reason ?? task?.comment ?? '';
  const items = listed.length ? listed : reasonItems(reason).map((name) => ({ name, reason: null }));
  // each item once, as first listed; a reason given on a repeat fills a missing one
  const byName = new Map<string, { name: string; reason: string | null }>();
  for (const m of items) {
    const key = m.name.toLocaleLowerCase('vi');
    const seen = byName.get(key);
    if (!seen) byName.set(key, { ...m });
    else seen.reason ??= m.reason;
  }
  const once = [...byName.values()];
  return {
    form: 'supplement-request', header: header('supplement-request', input, request.at, true), code: d.code, landscape: false,
    qrText: qrFor('supplement-request', input, request.at),
    applicant: applicantLines(d.applicant), procedureName: d.procedureName,
    items: once.map((m, i) => ({ index: i + 1, ...m })), reason, requestedAt: vnDateTime(request.at, input.zone),
    requestedBy: request.actorName ?? request.actor, contactUnit: input.counterUnitName, ordinal: n,
  };
}

function asItems(value: unknown): { document?: string; name?: string; reason?: string }[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v): { document?: string; name?: string; reason?: string }[] => {
    if (typeof v === 'string') return [{ name: v }];
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const str = (x: unknown) => (typeof x === 'string' && x.trim() ? x.trim() : undefined);
      return [{ document: str(o.document) ?? str(o.code), name: str(o.name), reason: str(o.reason) }];
    }
    return [];
  });
}

function refusal(input: FormInput): RefusalForm {
  const d = input.dossier;
  const refused = statusEvents(input, DossierStatus.Refused)[0];
  if (!refused) {
    throw new FormNotApplicableError(`dossier ${d.code} was not refused at reception (status ${d.status}: ${label(d.status)})`);
  }
  return {
    form: 'refusal', header: header('refusal', input, refused.at, true), code: d.code, landscape: false,
    qrText: qrFor('refusal', input, refused.at),
    applicant: applicantLines(d.applicant), procedureName: d.procedureName,
    reasons: reasonItems(refused.reason), refusedAt: vnDateTime(refused.at, input.zone), refusedBy: refused.actorName ?? refused.actor,
  };
}

function apology(input: FormInput): ApologyForm {
  const d = input.dossier;
  const issued = input.events.filter((e) => e.type === 'apology-issued').at(-1);
  if (!issued || !d.acceptedAt) throw new FormNotApplicableError(`no apology was issued for dossier ${d.code}`);
  const data = issued.data ?? {};
  const newAt = String(data.newAppointmentAt);
  const previous = String(data.previousAppointmentAt ?? d.originalAppointmentAt);
  const original = String(data.originalAppointmentAt ?? previous);
  return {
    form: 'apology', header: header('apology', input, issued.at, false), code: d.code, landscape: false,
    qrText: qrFor('apology', input, issued.at, newAt),
    applicant: applicantLines(d.applicant), procedureName: d.procedureName,
    acceptedAt: vnDate(d.acceptedAt, input.zone).replace(/^ngày/, 'Ngày'),
    originalAppointmentAt: vnDateTime(original, input.zone), previousAppointmentAt: vnDateTime(previous, input.zone),
    newAppointmentAt: vnDateTime(newAt, input.zone), newAppointmentDate: vnDate(newAt, input.zone),
    reason: issued.reason ?? '', signedBy: issued.actorName ?? issued.actor,
  };
}

/** One row per hop: reception, each task of each unit in order, each handoff to a partner agency, and the return. */
export function controlSlipRows(input: FormInput): ControlSlipRow[] {
  const d = input.dossier;
  const z = input.zone;
  type Hop = Omit<ControlSlipRow, 'index' | 'timingLabel' | 'from'> & { sortAt: string; from?: ControlSlipRow['from'] };
  const hops: Hop[] = [];
  const applicant = { party: 'Tổ chức, cá nhân', person: d.applicant.fullName, at: d.submittedAt };
  const tasks = input.tasks.filter((t) => t.state !== 'cancelled').sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const accepted = statusEvents(input, DossierStatus.Accepted)[0];
  if (accepted && !tasks.some((t) => t.stepKind === 'reception')) {
    hops.push({ sortAt: d.submittedAt, step: 'Tiếp nhận hồ sơ', from: applicant,
      to: { party: input.counterUnitName, person: accepted.actorName ?? accepted.actor, at: d.submittedAt },
      dueAt: null, doneAt: accepted.at, timing: 'no-deadline', note: accepted.reason });
  }
  for (const t of tasks) {
    hops.push({ sortAt: t.createdAt, step: t.stepName, to: { party: t.unitName, person: t.completedByName ?? t.claimedByName, at: t.createdAt },
      dueAt: t.dueAt, doneAt: t.completedAt, timing: hopTiming(t.completedAt, t.dueAt, input.now, z), note: t.comment });
  }
  for (const h of input.handoffs) {
    // the handed-over time is kept to the minute; the history's event orders it among the other hops
    const sent = input.events.find((e) => e.type === 'handoff-sent' && e.data?.partnerDossier === h.partnerDossierCode);
    hops.push({ sortAt: sent?.at ?? h.handedAt, step: `Liên thông: ${h.toAgencyName}`,
      from: { party: input.agency.name, person: h.handedByName, at: h.handedAt },
      to: { party: h.toAgencyName, person: h.receivedByName, at: h.receivedAt }, dueAt: h.dueAt, doneAt: h.returnedAt,
      timing: hopTiming(h.returnedAt, h.dueAt, input.now, z),
      note: [h.partnerDossierCode ? `Hồ sơ ${h.partnerDossierCode}` : null, h.outcome === 'refused' ? 'không giải quyết được' : null]
        .filter(Boolean).join(', ') || null });
  }
  hops.sort((a, b) => a.sortAt.localeCompare(b.sortAt));
  // a hop is handed over by whoever last finished a hop before it started (the applicant, at first)
  const handedBy = (start: string, self: Hop): ControlSlipRow['from'] => {
    const before = hops.filter((h) => h !== self && h.doneAt && h.doneAt <= start)
      .sort((a, b) => a.doneAt!.localeCompare(b.doneAt!)).at(-1);
    return before ? { party: before.to.party, person: before.to.person, at: before.doneAt! } : { ...applicant, at: start };
  };
  const rows: ControlSlipRow[] = hops.map((h, i) => ({ index: i + 1, step: h.step, from: h.from ?? handedBy(h.sortAt, h), to: h.to,
    dueAt: h.dueAt, doneAt: h.doneAt, timing: h.timing, timingLabel: TIMING_LABELS[h.timing], note: h.note }));
  const last = hops.filter((h) => h.doneAt).sort((a, b) => a.doneAt!.localeCompare(b.doneAt!)).at(-1);
  const previous = last ? { party: last.to.party, person: last.to.person, at: last.doneAt! } : applicant;
  if (d.returnedAt) {
    const timing = hopTiming(d.returnedAt, d.appointmentAt, input.now, z);
    rows.push({ index: rows.length + 1, step: 'Trả kết quả', from: previous,
      to: { party: 'Tổ chức, cá nhân', person: d.applicant.fullName, at: d.returnedAt }, dueAt: d.appointmentAt, doneAt: d.returnedAt,
      timing, timingLabel: TIMING_LABELS[timing], note: RETURN_CHANNEL_LABELS[d.returnChannel ?? ''] ?? null });
  }
  return rows;
}

function controlSlip(input: FormInput): ControlSlipForm {
  const d = input.dossier;
  if (!d.acceptedAt || !d.appointmentAt) {
    throw new FormNotApplicableError(`dossier ${d.code} has not been accepted (status ${d.status}: ${label(d.status)}), so it has no control slip`);
  }
  return {
    form: 'control-slip', header: header('control-slip', input, d.acceptedAt, true), code: d.code, landscape: true,
    qrText: qrFor('control-slip', input, d.acceptedAt),
    applicantName: d.applicant.fullName, procedureName: d.procedureName, receivedAt: vnDateTime(d.acceptedAt, input.zone),
    appointmentAt: vnDateTime(d.appointmentAt, input.zone), rows: controlSlipRows(input),
  };
}

const label = (status: number) => STATUS_LABELS[status as DossierStatusCode] ?? String(status);

/** The model of a dossier's form, or FormNotApplicableError when it does not apply to the dossier. */
export function buildDossierForm(kind: DossierFormKind, input: FormInput, opts: { ordinal?: number } = {}): DossierForm {
  switch (kind) {
    case 'receipt': return receipt(input);
    case 'supplement-request': return supplement(input, opts.ordinal);
    case 'refusal': return refusal(input);
    case 'apology': return apology(input);
    case 'control-slip': return controlSlip(input);
  }
}

export interface RegisterInput {
  zone: string;
  now: string;
  agency: { code: string; name: string };
  from: string;
  to: string;
  dossiers: {
    code: string; procedureName: string; applicant: FormApplicant; status: number; submittedAt: string; acceptedAt: string | null;
    appointmentAt: string | null; finishedAt: string | null; returnedAt: string | null; overdue: boolean;
    /** units and partner agencies that handled it, in order */
    handlingUnits: string[];
    /** when it first went to a department */
    transferredAt: string | null;
  }[];
}

/** Form 06: the agency's register of dossiers received in a period (local dates, inclusive). */
export function buildRegister(input: RegisterInput): RegisterForm {
  const z = input.zone;
  const d = (iso: string | null) => (iso ? DateTime.fromISO(iso, { zone: z }).toFormat('dd/MM/yyyy') : '');
  const fmt = (isoDate: string) => DateTime.fromISO(isoDate, { zone: z }).toFormat('dd/MM/yyyy');
  return {
    form: 'register', code: '', landscape: true, qrText: null,
    header: { ...FORM_TITLES.register, agencyName: input.agency.name, unitName: null, dateLine: vnDate(input.now, z) },
    period: `Từ ngày ${fmt(input.from)} đến ngày ${fmt(input.to)}`,
    rows: input.dossiers.map((x, i) => {
      const late = x.finishedAt && x.appointmentAt && Date.parse(x.finishedAt) > Date.parse(x.appointmentAt);
      return {
        index: i + 1, code: x.code, procedureName: x.procedureName, copies: 1,
        applicant: [x.applicant.fullName, x.applicant.organization].filter(Boolean).join(' – '),
        contact: [x.applicant.address, x.applicant.phone].filter(Boolean).join('; '),
        handlingUnits: x.handlingUnits.join(', '), receivedAt: d(x.acceptedAt ?? x.submittedAt), appointmentAt: d(x.appointmentAt),
        transferredAt: d(x.transferredAt), finishedAt: d(x.finishedAt), returnedAt: d(x.returnedAt),
        note: [label(x.status), late ? 'trễ hạn' : x.overdue ? 'quá hạn' : null].filter(Boolean).join(', '),
      };
    }),
  };
}
