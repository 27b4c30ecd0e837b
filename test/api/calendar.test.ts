/** The business calendar over the API: the yearly holiday table and an agency's office hours. */
import { createCalendarStore } from '../../stores/calendar-store';
import { addDuration } from '../../domain/calendar';
import { startTestEnv, type TestEnv } from '../support/env';
import { httpClient, type HttpClient } from '../support/http';
import { loginDemo } from '../support/tasks';

let env: TestEnv;
let http: HttpClient;
let ops: string;
let lan: string;

beforeAll(async () => {
  env = await startTestEnv();
  http = httpClient(env.apiUrl);
  [ops, lan] = await loginDemo(http, 'thietke.lanhdao-mybinh', 'lan.motcua-mybinh');
});
afterAll(async () => {
  await env?.db('calendar_years').where({ year: 2031 }).delete();
  await env?.db('agency_calendars').where({ agency_code: 'UBND-XA-MY-BINH' }).delete();
  await env?.stop();
});

test('a year not yet saved is pre-filled from the holiday library, with Vietnamese lunar dates', async () => {
  const res = await http.get('/api/calendar/2026');
  expect(res.status).toBe(200);
  const dates = res.body.daysOff.map((d: { date: string }) => d.date);
  expect(dates).toEqual(expect.arrayContaining(['2026-01-01', '2026-02-16', '2026-02-17', '2026-02-20', '2026-04-26', '2026-04-30', '2026-05-01', '2026-09-02']));
  expect(['prefill', 'admin']).toContain(res.body.source);
});

test('ops correct a year: only ops may, every problem is listed, and the table is kept', async () => {
  const table = { daysOff: [{ date: '2031-01-01', name: 'Tết Dương lịch' }, { date: '2031-01-02', name: 'Nghỉ bù' }],
    workingDays: [{ date: '2031-01-04', name: 'Làm bù thứ Bảy' }] };
  expect((await http.put('/api/calendar/2031', table, lan)).status).toBe(403);
  const bad = await http.put('/api/calendar/2031', { daysOff: [{ date: '2030-12-31', name: 'x' }, { date: '2031-02-30', name: 'y' }],
    workingDays: [{ date: '2031-01-06', name: 'a Monday' }] }, ops);
  expect(bad.status).toBe(422);
  expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(['$.daysOff[0].date', '$.daysOff[1].date', '$.workingDays[0].date']);
  const saved = await http.put('/api/calendar/2031', table, ops);
  expect(saved.status).toBe(200);
  expect(saved.body).toMatchObject({ year: 2031, source: 'admin', updatedBy: 'thietke.lanhdao-mybinh', daysOff: table.daysOff });
  expect((await http.get('/api/calendar/2031')).body.workingDays).toEqual(table.workingDays);
});

test("an agency's office hours: checked, saved, and used for its deadlines", async () => {
  expect((await http.get('/api/calendar/agencies/UBND-XA-MY-BINH')).body).toMatchObject({ source: 'default',
    sessions: [{ start: '07:00', end: '11:30' }, { start: '13:30', end: '17:00' }] });
  const overlapping = await http.put('/api/calendar/agencies/UBND-XA-MY-BINH', { zone: 'Asia/Ho_Chi_Minh',
    sessions: [{ start: '07:30', end: '12:00' }, { start: '11:00', end: '17:00' }], weekdays: [1, 2, 3, 4, 5] }, ops);
  expect(overlapping.status).toBe(422);
  expect(overlapping.body.error.details[0].path).toBe('$.sessions[1]');
  const hours = { zone: 'Asia/Ho_Chi_Minh', sessions: [{ start: '07:30', end: '11:30' }, { start: '13:00', end: '17:00' }], weekdays: [1, 2, 3, 4, 5, 6] };
  const saved = await http.put('/api/calendar/agencies/UBND-XA-MY-BINH', hours, ops);
  expect(saved.status).toBe(200);
  expect(saved.body).toMatchObject({ source: 'agency', ...hours });
  expect((await http.put('/api/calendar/agencies/KHONG-CO', hours, ops)).status).toBe(404);
  // the worker's calendar for that agency now counts Saturday mornings from 07:30
  const cal = await createCalendarStore(env.db).calendarFor('UBND-XA-MY-BINH');
  expect(addDuration(cal, '2031-01-11T06:00:00+07:00', { workingHours: 1 })).toBe('2031-01-11T08:30:00.000+07:00');
});
