/**
 * Punctuality, QĐ 766 indicators and the monthly late list, over real HTTP, PostgreSQL and Temporal, on a
 * planted data set (rows inserted directly) that covers every category. The period is March 2026 in
 * Asia/Ho_Chi_Minh: [2026-03-01T00:00+07:00, 2026-04-01T00:00+07:00).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { publishSamples } from '../../scripts/seed';
import { previousMonth } from '../../domain/reports';
import { LATE_LIST_SCHEDULE_ID, ensureLateListSchedule } from '../../lib/schedules/late-list';
import { startTestEnv, type TestEnv } from '../support/env';
import { httpClient, type HttpClient } from '../support/http';
import { loginDemo } from '../support/tasks';

let env: TestEnv;
let http: HttpClient;
let officer: string;
let ops: string;
let procedureVersion: number;

beforeAll(async () => {
  env = await startTestEnv();
  await publishSamples(env.db);
  http = httpClient(env.apiUrl);
  [officer, ops] = await loginDemo(http, 'binh.tuphap-mybinh', 'thietke.lanhdao-mybinh');
  procedureVersion = (await env.db('procedure_versions').where({ code: '1.001193' }).first('version')).version;
});
afterAll(() => env?.stop());

const at = (local: string) => new Date(`${local}+07:00`).toISOString();
const FROM = '2026-03-01';
const TO = '2026-04-01';

interface Planted {
  agency: string;
  agencyName: string;
  units: { u1: string; u2: string };
  officers: { o1: string; o2: string; o3: string };
  codes: Record<string, string>;
}

/**
 * A fresh agency with two units, three officers, dossiers in every punctuality category, tasks in every
 * unit/officer category, step-overdue events, documents and payments.
 */
async function plant(): Promise<Planted> {
  const { db } = env;
  const tag = randomBytes(3).toString('hex').toUpperCase();
  const agency = `BC-${tag}`;
  const agencyName = `UBND phường Thử ${tag}, tỉnh An Giang`;
  await db('agencies').insert({ code: agency, name: agencyName, national_code: `000.99.${tag}` });
  const u1 = 'TIEP-NHAN';
  const u2 = 'CHUYEN-MON';
  await db('units').insert([
    { agency_code: agency, code: u1, name: 'Bộ phận Tiếp nhận', slug: `tn-${tag.toLowerCase()}`, kind: 'counter' },
    { agency_code: agency, code: u2, name: 'Phòng Chuyên môn', slug: `cm-${tag.toLowerCase()}`, kind: 'department' },
  ]);
  const o1 = `an.tn-${tag.toLowerCase()}`;
  const o2 = `binh.cm-${tag.toLowerCase()}`;
  const o3 = `cuong.cm-${tag.toLowerCase()}`;
  await db('accounts').insert([
    { username: o1, full_name: 'Nguyễn Văn An', agency_code: agency, unit_code: u1, password_hash: 'x' },
    { username: o2, full_name: 'Trần Thị Bình', agency_code: agency, unit_code: u2, password_hash: 'x' },
    { username: o3, full_name: 'Lê Văn Cường', agency_code: agency, unit_code: u2, password_hash: 'x' },
  ]);

  const codes: Record<string, string> = {};
  let seq = 0;
  async function dossier(name: string, d: { status: number; channel?: string; accepted?: string; appointment?: string; finished?: string;
    supplements?: number; submitted?: string }) {
    const code = `${agency}-260301-${String(++seq).padStart(4, '0')}`;
    codes[name] = code;
    await db('dossiers').insert({
      code, procedure_code: '1.001193', procedure_version: procedureVersion, procedure_name: 'Đăng ký khai sinh', agency_code: agency,
      channel: d.channel ?? 'counter', code_rule: 'TT01-2018', applicant: JSON.stringify({ fullName: 'Người nộp', idNumber: '089000000001' }),
      application: '{}', status: d.status, supplement_count: d.supplements ?? 0,
      submitted_at: at(d.submitted ?? d.accepted ?? '2026-03-01T08:00:00'), accepted_at: d.accepted ? at(d.accepted) : null,
      appointment_at: d.appointment ? at(d.appointment) : null, original_appointment_at: d.appointment ? at(d.appointment) : null,
      finished_at: d.finished ? at(d.finished) : null,
    });
    return code;
  }
  async function documents(code: string, digitized: boolean[]) {
    let n = 0;
    for (const done of digitized) {
      n += 1;
      await db('dossier_documents').insert({ dossier_code: code, document_code: `TP${n}`, file_name: `tp${n}.pdf`,
        digitization_code: done ? `${code}-TP${String(n).padStart(2, '0')}` : null });
    }
  }
  async function payment(code: string, p: { amount: number; state: string; channel?: string }) {
    await db('payments').insert({ dossier_code: code, fee_code: 'LE-PHI', fee_name: 'Lệ phí', amount: p.amount, collect: 'before-return',
      state: p.state, channel: p.channel ?? null, paid_at: p.state === 'paid' ? at('2026-03-05T09:00:00') : null });
  }

  // finished in the period: early (x2, one carried over), on time, late, late by a second supplement
  await dossier('early', { status: 10, channel: 'online', accepted: '2026-03-02T08:00:00', appointment: '2026-03-10T17:00:00', finished: '2026-03-09T10:00:00' });
  await dossier('onTime', { status: 9, accepted: '2026-03-03T08:00:00', appointment: '2026-03-10T17:00:00', finished: '2026-03-10T15:00:00' });
  await dossier('late', { status: 10, channel: 'online', accepted: '2026-03-04T09:00:00', appointment: '2026-03-11T17:00:00', finished: '2026-03-12T09:00:00' });
  await dossier('lateBySupplement', { status: 10, channel: 'online', supplements: 2, accepted: '2026-03-05T09:00:00',
    appointment: '2026-03-20T17:00:00', finished: '2026-03-18T10:00:00' });
  await dossier('carriedEarly', { status: 10, accepted: '2026-02-20T09:00:00', appointment: '2026-03-09T17:00:00', finished: '2026-03-06T10:00:00' });
  // still open on 2026-04-01 00:00: late, due soon (5 working hours left), not due (x2), paused for a supplement
  await dossier('openLate', { status: 4, accepted: '2026-03-16T09:00:00', appointment: '2026-03-31T10:00:00' });
  await dossier('openDueSoon', { status: 4, accepted: '2026-03-20T09:00:00', appointment: '2026-04-01T14:00:00' });
  await dossier('carriedNotDue', { status: 4, accepted: '2026-02-25T09:00:00', appointment: '2026-04-10T17:00:00' });
  await dossier('finishedAfter', { status: 9, channel: 'postal', accepted: '2026-03-24T09:00:00', appointment: '2026-04-03T17:00:00', finished: '2026-04-02T10:00:00' });
  const paused = await dossier('paused', { status: 4, accepted: '2026-03-23T09:00:00', appointment: '2026-04-15T17:00:00', supplements: 1 });
  await db('dossier_events').insert([
    { dossier_code: paused, event_key: 'status-5', type: 'status', from_status: 4, to_status: 5, actor: o2, at: at('2026-03-25T09:00:00') },
    { dossier_code: paused, event_key: 'status-4', type: 'status', from_status: 5, to_status: 4, actor: 'applicant', at: at('2026-04-03T09:00:00') },
  ]);
  // ended without a result: counted apart
  await dossier('withdrawn', { status: 7, channel: 'online', accepted: '2026-03-10T09:00:00', appointment: '2026-03-20T17:00:00', finished: '2026-03-15T10:00:00' });
  await dossier('stopped', { status: 8, accepted: '2026-03-11T09:00:00', appointment: '2026-03-25T17:00:00', finished: '2026-03-19T10:00:00' });
  await dossier('refused', { status: 3, channel: 'online', submitted: '2026-03-11T09:00:00', finished: '2026-03-12T10:00:00' });
  // outside the period or never received
  await dossier('before', { status: 10, accepted: '2026-02-01T09:00:00', appointment: '2026-02-20T17:00:00', finished: '2026-02-20T10:00:00' });
  await dossier('after', { status: 4, channel: 'online', accepted: '2026-04-02T09:00:00', appointment: '2026-04-20T17:00:00' });
  await dossier('submitted', { status: 1, channel: 'online', submitted: '2026-03-20T09:00:00' });

  // digitization: early (2/2), onTime (1/2), lateBySupplement (1/1), openLate (0/1), paused (1/1); carriedEarly is not received in March
  await documents(codes.early, [true, true]);
  await documents(codes.onTime, [true, false]);
  await documents(codes.lateBySupplement, [true]);
  await documents(codes.openLate, [false]);
  await documents(codes.paused, [true]);
  await documents(codes.carriedEarly, [true]);
  // fees: paid online (early, lateBySupplement, openLate), paid at the counter (onTime), unpaid (late, finishedAfter);
  // a cancelled and a free fee do not count
  await payment(codes.early, { amount: 50_000, state: 'paid', channel: 'online' });
  await payment(codes.lateBySupplement, { amount: 50_000, state: 'paid', channel: 'online' });
  await payment(codes.openLate, { amount: 8_000, state: 'paid', channel: 'online' });
  await payment(codes.onTime, { amount: 50_000, state: 'paid', channel: 'counter' });
  await payment(codes.late, { amount: 50_000, state: 'pending' });
  await payment(codes.finishedAfter, { amount: 50_000, state: 'pending' });
  await payment(codes.stopped, { amount: 50_000, state: 'cancelled' });
  await payment(codes.withdrawn, { amount: 0, state: 'paid', channel: 'online' });

  const tasks: Record<string, string> = {};
  let step = 0;
  async function task(name: string, t: { unit: string; dossier: string; created: string; due?: string; completed?: string; by?: string;
    claimedBy?: string; state?: string }) {
    const id = randomUUID();
    tasks[name] = id;
    await db('tasks').insert({
      id, dossier_code: t.dossier, step_id: `s${++step}`, iteration: 1, step_kind: 'task', step_name: `Bước ${step}`, procedure_code: '1.001193',
      agency_code: agency, unit_code: t.unit, role: t.unit === u1 ? 'one-stop-officer' : 'specialist',
      state: t.state ?? (t.completed ? 'completed' : t.claimedBy ? 'claimed' : 'open'), claimed_by: t.claimedBy ?? t.by ?? null,
      outcomes: JSON.stringify({ approve: 'next' }), created_at: at(t.created), due_at: t.due ? at(t.due) : null,
      completed_at: t.completed ? at(t.completed) : null, completed_by: t.by ?? null,
    });
    return id;
  }
  // unit 1, officer 1: early, on time, late, on time carried over; an unclaimed overdue task; a cancelled one
  await task('t1', { unit: u1, dossier: codes.early, created: '2026-03-02T08:00:00', due: '2026-03-03T08:00:00', completed: '2026-03-02T10:00:00', by: o1 });
  await task('t2', { unit: u1, dossier: codes.onTime, created: '2026-03-03T08:00:00', due: '2026-03-04T12:00:00', completed: '2026-03-04T11:00:00', by: o1 });
  await task('t3', { unit: u1, dossier: codes.late, created: '2026-03-04T09:00:00', due: '2026-03-05T12:00:00', completed: '2026-03-06T09:00:00', by: o1 });
  await task('t4', { unit: u1, dossier: codes.carriedEarly, created: '2026-02-27T09:00:00', due: '2026-03-02T12:00:00', completed: '2026-03-02T11:00:00', by: o1 });
  await task('t5', { unit: u1, dossier: codes.openLate, created: '2026-03-30T09:00:00', due: '2026-03-31T10:00:00' });
  await task('t6', { unit: u1, dossier: codes.stopped, created: '2026-03-10T09:00:00', due: '2026-03-11T09:00:00', state: 'cancelled' });
  // unit 2: officer 2 late and not due; officer 3 due soon and open at the end (no deadline, completed after it)
  await task('t7', { unit: u2, dossier: codes.lateBySupplement, created: '2026-03-05T09:00:00', due: '2026-03-06T17:00:00', completed: '2026-03-09T08:00:00', by: o2 });
  await task('t8', { unit: u2, dossier: codes.openDueSoon, created: '2026-03-20T09:00:00', due: '2026-04-01T14:00:00', claimedBy: o3 });
  await task('t9', { unit: u2, dossier: codes.carriedNotDue, created: '2026-03-25T09:00:00', due: '2026-04-10T17:00:00', claimedBy: o2 });
  await task('t10', { unit: u2, dossier: codes.finishedAfter, created: '2026-03-28T09:00:00', completed: '2026-04-02T09:00:00', by: o3 });
  // outside the period
  await task('t11', { unit: u2, dossier: codes.before, created: '2026-02-05T09:00:00', due: '2026-02-09T17:00:00', completed: '2026-02-10T09:00:00', by: o2 });
  await task('t12', { unit: u2, dossier: codes.after, created: '2026-04-02T09:00:00', due: '2026-04-03T17:00:00', claimedBy: o2 });

  const overdue = (taskName: string, dossierCode: string, unit: string, when: string) => ({
    dossier_code: dossierCode, event_key: `overdue-${taskName}`, type: 'step-overdue', actor: 'system', step_id: 's',
    data: JSON.stringify({ taskId: tasks[taskName], unit, role: unit === u1 ? 'one-stop-officer' : 'specialist' }), at: at(when),
  });
  await db('dossier_events').insert([
    overdue('t3', codes.late, u1, '2026-03-05T12:00:00'),
    overdue('t7', codes.lateBySupplement, u2, '2026-03-06T17:00:00'),
    overdue('t5', codes.openLate, u1, '2026-03-31T10:00:00'),
    overdue('t11', codes.before, u2, '2026-02-09T17:00:00'),
  ]);
  return { agency, agencyName, units: { u1, u2 }, officers: { o1, o2, o3 }, codes };
}

const figures = (f: { received: number; carriedOver: number; done: number[]; inProgress: number[]; excluded?: number[]; stepOverdue: number;
  onTimeRate: number | null }) => ({
  received: f.received, carriedOver: f.carriedOver,
  done: { total: f.done[0], early: f.done[1], onTime: f.done[2], late: f.done[3] },
  inProgress: { total: f.inProgress[0], late: f.inProgress[1], dueSoon: f.inProgress[2], notDue: f.inProgress[3], paused: f.inProgress[4] },
  excluded: { refused: f.excluded?.[0] ?? 0, withdrawn: f.excluded?.[1] ?? 0, stopped: f.excluded?.[2] ?? 0 },
  stepOverdue: f.stepOverdue, onTimeRate: f.onTimeRate,
});

const AGENCY_FIGURES = figures({ received: 10, carriedOver: 2, done: [5, 2, 1, 2], inProgress: [5, 1, 1, 2, 1], excluded: [1, 1, 1],
  stepOverdue: 3, onTimeRate: 60 });
const UNIT1 = figures({ received: 4, carriedOver: 1, done: [4, 1, 2, 1], inProgress: [1, 1, 0, 0, 0], stepOverdue: 2, onTimeRate: 75 });
const UNIT2 = figures({ received: 4, carriedOver: 0, done: [1, 0, 0, 1], inProgress: [3, 0, 1, 2, 0], stepOverdue: 1, onTimeRate: 0 });
const OFFICER1 = figures({ received: 3, carriedOver: 1, done: [4, 1, 2, 1], inProgress: [0, 0, 0, 0, 0], stepOverdue: 1, onTimeRate: 75 });
const OFFICER2 = figures({ received: 2, carriedOver: 0, done: [1, 0, 0, 1], inProgress: [1, 0, 0, 1, 0], stepOverdue: 1, onTimeRate: 0 });
const OFFICER3 = figures({ received: 2, carriedOver: 0, done: [0, 0, 0, 0], inProgress: [2, 0, 1, 1, 0], stepOverdue: 0, onTimeRate: null });

const query = (p: Planted, groupBy: string, extra = '') => `/api/reports/punctuality?from=${FROM}&to=${TO}&groupBy=${groupBy}&agency=${p.agency}${extra}`;

test('punctuality per agency counts every category of the planted dossiers exactly', async () => {
  const p = await plant();
  const res = await http.get(query(p, 'agency'), officer);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    from: '2026-02-28T17:00:00.000Z', to: '2026-03-31T17:00:00.000Z', groupBy: 'agency', agency: p.agency, dueSoonHours: 8,
    rows: [{ agency: p.agency, agencyName: p.agencyName, ...AGENCY_FIGURES }],
    total: AGENCY_FIGURES,
  });
  // a wider "due soon" window moves the not-due dossier finished on 2 April (24 working hours left) into it
  const wide = await http.get(query(p, 'agency', '&dueSoonHours=24'), officer);
  expect(wide.body.rows[0].inProgress).toEqual({ total: 5, late: 1, dueSoon: 2, notDue: 1, paused: 1 });
});

test('punctuality per unit and per officer follows the tasks and the step-overdue events', async () => {
  const p = await plant();
  const units = await http.get(query(p, 'unit'), officer);
  expect(units.status).toBe(200);
  expect(units.body.rows).toEqual([
    { agency: p.agency, agencyName: p.agencyName, unit: p.units.u2, unitName: 'Phòng Chuyên môn', ...UNIT2 },
    { agency: p.agency, agencyName: p.agencyName, unit: p.units.u1, unitName: 'Bộ phận Tiếp nhận', ...UNIT1 },
  ]);
  expect(units.body.total).toEqual(figures({ received: 8, carriedOver: 1, done: [5, 1, 2, 2], inProgress: [4, 1, 1, 2, 0],
    stepOverdue: 3, onTimeRate: 60 }));

  const officers = await http.get(query(p, 'officer'), officer);
  expect(officers.status).toBe(200);
  const base = { agency: p.agency, agencyName: p.agencyName };
  expect(officers.body.rows).toEqual([
    { ...base, unit: p.units.u2, unitName: 'Phòng Chuyên môn', officer: p.officers.o2, officerName: 'Trần Thị Bình', ...OFFICER2 },
    { ...base, unit: p.units.u2, unitName: 'Phòng Chuyên môn', officer: p.officers.o3, officerName: 'Lê Văn Cường', ...OFFICER3 },
    { ...base, unit: p.units.u1, unitName: 'Bộ phận Tiếp nhận', officer: p.officers.o1, officerName: 'Nguyễn Văn An', ...OFFICER1 },
  ]);
});

test('the punctuality report as CSV: header row, one row per group and the total, UTF-8 with a BOM', async () => {
  const p = await plant();
  const header = 'Mã cơ quan,Tên cơ quan,Tiếp nhận mới,Kỳ trước chuyển sang,Đã giải quyết,Trước hạn,Đúng hạn,Quá hạn,Đang giải quyết,'
    + 'Đang giải quyết - quá hạn,Đang giải quyết - sắp đến hạn,Đang giải quyết - chưa đến hạn,Tạm dừng chờ bổ sung,Không được tiếp nhận,'
    + 'Rút hồ sơ,Dừng xử lý,Bước quá hạn,Tỷ lệ đúng hạn (%)';
  const expected = `\uFEFF${header}\r\n${p.agency},"${p.agencyName}",10,2,5,2,1,2,5,1,1,2,1,1,1,1,3,60\r\n`
    + 'Tổng cộng,,10,2,5,2,1,2,5,1,1,2,1,1,1,1,3,60\r\n';

  const res = await fetch(`${env.apiUrl}${query(p, 'agency', '&format=csv')}`, { headers: { authorization: `Bearer ${officer}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  expect(res.headers.get('content-disposition')).toContain('dung-han-agency-2026-02-28-2026-03-31.csv');
  const bytes = Buffer.from(await res.arrayBuffer());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  expect(bytes.toString('utf8')).toBe(expected);

  const byAccept = await fetch(`${env.apiUrl}${query(p, 'agency')}`, { headers: { authorization: `Bearer ${officer}`, accept: 'text/csv' } });
  expect(await byAccept.text()).toBe(expected.slice(1));

  const officers = await fetch(`${env.apiUrl}${query(p, 'officer', '&format=csv')}`, { headers: { authorization: `Bearer ${officer}` } });
  // fetch's text() drops the byte order mark
  const lines = (await officers.text()).split('\r\n');
  expect(lines[0]).toBe('Mã cơ quan,Tên cơ quan,Mã đơn vị,Tên đơn vị,Tài khoản,Họ tên,' + header.split(',').slice(2).join(','));
  expect(lines[1]).toBe(`${p.agency},"${p.agencyName}",CHUYEN-MON,Phòng Chuyên môn,${p.officers.o2},Trần Thị Bình,2,0,1,0,0,1,1,0,0,1,0,0,0,0,1,0`);
  expect(lines[2]).toBe(`${p.agency},"${p.agencyName}",CHUYEN-MON,Phòng Chuyên môn,${p.officers.o3},Lê Văn Cường,2,0,0,0,0,0,2,0,1,1,0,0,0,0,0,`);
  expect(lines[4]).toBe('Tổng cộng,,,,,,7,1,5,1,2,2,3,0,1,2,0,0,0,0,2,60');
  expect(lines).toHaveLength(6);
});

test('a period not ended yet judges open dossiers now, not at its end', async () => {
  const tag = randomBytes(3).toString('hex').toUpperCase();
  const agency = `BC-${tag}`;
  await env.db('agencies').insert({ code: agency, name: `Cơ quan ${tag}`, national_code: `000.97.${tag}` });
  const day = 86_400_000;
  await env.db('dossiers').insert({ code: `${agency}-261123-0001`, procedure_code: '1.001193', procedure_version: procedureVersion,
    procedure_name: 'Đăng ký khai sinh', agency_code: agency, channel: 'online', code_rule: 'TT01-2018', applicant: '{}', application: '{}',
    status: 4, submitted_at: new Date(Date.now() - day), accepted_at: new Date(Date.now() - day),
    appointment_at: new Date(Date.now() + 30 * day) });
  const from = new Date(Date.now() - 2 * day).toISOString();
  const to = new Date(Date.now() + 60 * day).toISOString();
  const res = await http.get(`/api/reports/punctuality?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&agency=${agency}`, officer);
  expect(res.status).toBe(200);
  expect(res.body.rows[0]).toMatchObject({ received: 1, inProgress: { total: 1, late: 0, dueSoon: 0, notDue: 1, paused: 0 } });
});

test('the QĐ 766 indicators of the agency: on time, online, digitization, online payment', async () => {
  const p = await plant();
  const res = await http.get(`/api/reports/indicators?from=${FROM}&to=${TO}&agency=${p.agency}`, officer);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    from: '2026-02-28T17:00:00.000Z', to: '2026-03-31T17:00:00.000Z', agency: p.agency,
    rows: [{
      agency: p.agency, agencyName: p.agencyName, received: 10,
      onTime: { done: 5, onTimeOrEarly: 3, rate: 60 },
      online: { received: 10, online: 4, rate: 40 },
      digitization: { withDocuments: 5, fullyDigitized: 3, rate: 60 },
      onlinePayment: { withFees: 6, paidOnline: 3, rate: 50 },
    }],
  });
  const csv = await fetch(`${env.apiUrl}/api/reports/indicators?from=${FROM}&to=${TO}&agency=${p.agency}&format=csv`,
    { headers: { authorization: `Bearer ${officer}` } });
  expect((await csv.text()).split('\r\n')[1]).toBe(`${p.agency},"${p.agencyName}",10,5,3,60,4,40,5,3,60,6,3,50`);
});

test('report queries are checked: every problem with its place, officers only, unknown agencies', async () => {
  const bad = await http.get('/api/reports/punctuality?from=2026-13-01&groupBy=team&dueSoonHours=-1', officer);
  expect(bad.status).toBe(400);
  expect(bad.body.error.details).toEqual([
    { path: '$.query.from', message: '"2026-13-01" is not a date (YYYY-MM-DD) or an ISO-8601 instant' },
    { path: '$.query.to', message: 'to is required: a date (YYYY-MM-DD) or an ISO-8601 instant' },
    { path: '$.query.groupBy', message: 'groupBy must be agency, unit, officer' },
    { path: '$.query.dueSoonHours', message: 'dueSoonHours must be a number of working hours in (0, 240]' },
  ]);
  const reversed = await http.get('/api/reports/indicators?from=2026-04-01&to=2026-03-01', officer);
  expect(reversed.status).toBe(400);
  expect(reversed.body.error.details).toEqual([{ path: '$.query.to', message: 'to must be after from (to is exclusive)' }]);
  expect((await http.get(`/api/reports/punctuality?from=${FROM}&to=${TO}&format=xml`, officer)).status).toBe(400);
  expect((await http.get(`/api/reports/punctuality?from=${FROM}&to=${TO}&agency=NO-SUCH`, officer)).status).toBe(404);
  expect((await http.get(`/api/reports/punctuality?from=${FROM}&to=${TO}`)).status).toBe(401);
  expect((await http.get(`/api/reports/indicators?from=${FROM}&to=${TO}`)).status).toBe(401);
});

test('the monthly late list: produced by a workflow, kept, and served publicly', async () => {
  const p = await plant();
  expect((await http.get('/api/reports/late?month=2019-01')).status).toBe(404);
  expect((await http.get('/api/reports/late?month=2026-3')).status).toBe(400);
  expect((await http.post('/api/reports/late?month=2026-03', {}, officer)).status).toBe(403);

  const produced = await http.post('/api/reports/late?month=2026-03', {}, ops);
  expect(produced.status).toBe(200);
  const list = (await http.get('/api/reports/late?month=2026-03')).body;
  expect(list).toMatchObject({ month: '2026-03', from: '2026-02-28T17:00:00.000Z', to: '2026-03-31T17:00:00.000Z',
    producedBy: 'thietke.lanhdao-mybinh' });
  expect(produced.body).toEqual(list);
  const mine = (rows: { agency: string }[]) => rows.filter((r) => r.agency === p.agency);
  expect(mine(list.agencies)).toEqual([{ agency: p.agency, agencyName: p.agencyName, ...AGENCY_FIGURES }]);
  expect(mine(list.units)).toEqual([
    { agency: p.agency, agencyName: p.agencyName, unit: 'CHUYEN-MON', unitName: 'Phòng Chuyên môn', ...UNIT2 },
    { agency: p.agency, agencyName: p.agencyName, unit: 'TIEP-NHAN', unitName: 'Bộ phận Tiếp nhận', ...UNIT1 },
  ]);
  // officer 3 has nothing late, so is not listed
  expect(mine(list.officers).map((r: any) => r.officer)).toEqual([p.officers.o2, p.officers.o1]);
  expect(await env.db('late_lists').where({ month: '2026-03' }).count({ n: '*' })).toEqual([{ n: '1' }]);
});

test('the monthly Schedule: created once at 00:30 on the 1st in Asia/Ho_Chi_Minh, updated on restart, and its run keeps the list', async () => {
  await ensureLateListSchedule(env.client, { taskQueue: 'an-old-queue' });
  await ensureLateListSchedule(env.client, { taskQueue: env.taskQueue });
  const handle = env.client.schedule.getHandle(LATE_LIST_SCHEDULE_ID);
  const described = await handle.describe();
  expect(described.spec.timezone).toBe('Asia/Ho_Chi_Minh');
  const every = (start: unknown, end: unknown) => [{ start, end, step: 1 }];
  expect(described.spec.calendars).toEqual([{
    comment: 'monthly late list: 00:30 on the 1st', second: every(0, 0), minute: every(30, 30), hour: every(0, 0),
    dayOfMonth: every(1, 1), month: every('JANUARY', 'DECEMBER'), dayOfWeek: every('SUNDAY', 'SATURDAY'), year: [],
  }]);
  expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'lateListWorkflow', taskQueue: env.taskQueue,
    args: [{ producedBy: 'schedule' }] });
  const next = new Date(described.info.nextActionTimes[0]);
  expect(new Date(next.getTime() + 7 * 3600_000).toISOString()).toMatch(/^\d{4}-\d{2}-01T00:30:00/);

  await handle.trigger();
  let workflowId: string | undefined;
  for (let i = 0; i < 100 && !workflowId; i++) {
    workflowId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
    if (!workflowId) await new Promise((r) => setTimeout(r, 100));
  }
  expect(workflowId).toBeDefined();
  const month = previousMonth(new Date().toISOString());
  expect(await env.client.workflow.getHandle(workflowId!).result()).toMatchObject({ month });
  const kept = await http.get(`/api/reports/late?month=${month}`);
  expect(kept.status).toBe(200);
  expect(kept.body).toMatchObject({ month, producedBy: 'schedule' });
  await handle.delete();
});
