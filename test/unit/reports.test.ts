/** The pure rules of the reports: timing classes, period bounds, months, CSV. */
import { DEFAULT_CALENDAR } from '../../domain/calendar';
import { doneTiming, monthPeriod, openTiming, parseBound, previousMonth, rate, toCsv } from '../../domain/reports';

const Z = 'Asia/Ho_Chi_Minh';

test('a finished item is early on a day before its due date, on time up to the due instant, late after it or with a second supplement', () => {
  const due = '2026-03-10T17:00:00+07:00';
  expect(doneTiming('2026-03-09T23:59:00+07:00', due, Z)).toBe('early');
  // 00:30 local on the due day is 17:30 UTC the day before: still the due day, so on time, not early
  expect(doneTiming('2026-03-09T17:30:00Z', due, Z)).toBe('onTime');
  expect(doneTiming(due, due, Z)).toBe('onTime');
  expect(doneTiming('2026-03-10T17:00:01+07:00', due, Z)).toBe('late');
  expect(doneTiming('2026-03-01T08:00:00+07:00', due, Z, 2)).toBe('late');
  expect(doneTiming('2026-03-01T08:00:00+07:00', due, Z, 1)).toBe('early');
  expect(doneTiming('2026-03-01T08:00:00+07:00', null, Z)).toBe('onTime');
});

test('an open item is late once due, due soon within one working day, paused while supplementing', () => {
  const at = '2026-03-06T16:00:00+07:00'; // a Friday, one working hour before close
  const cal = DEFAULT_CALENDAR;
  expect(openTiming(at, '2026-03-06T16:00:00+07:00', cal)).toBe('late');
  // Friday 16:00 → Monday 16:00: 1 h + 4.5 h + 2.5 h = 8 working hours, over a weekend
  expect(openTiming(at, '2026-03-09T16:00:00+07:00', cal)).toBe('dueSoon');
  expect(openTiming(at, '2026-03-09T16:01:00+07:00', cal)).toBe('notDue');
  expect(openTiming(at, '2026-03-09T16:01:00+07:00', cal, { dueSoonMs: 16 * 3600_000 })).toBe('dueSoon');
  expect(openTiming(at, '2026-03-01T00:00:00+07:00', cal, { paused: true })).toBe('paused');
  expect(openTiming(at, '2026-04-01T00:00:00+07:00', cal, { paused: true, supplementCount: 2 })).toBe('late');
  expect(openTiming(at, null, cal)).toBe('notDue');
});

test('period bounds and months are read in Asia/Ho_Chi_Minh', () => {
  expect(parseBound('2026-03-01')).toBe('2026-02-28T17:00:00.000Z');
  expect(parseBound('2026-03-01T08:00:00Z')).toBe('2026-03-01T08:00:00.000Z');
  expect(parseBound('2026-03-01T08:00:00')).toBe('2026-03-01T01:00:00.000Z');
  expect(parseBound('2026-02-30')).toBeUndefined();
  expect(parseBound('yesterday')).toBeUndefined();
  expect(monthPeriod('2026-12')).toEqual({ from: '2026-11-30T17:00:00.000Z', to: '2026-12-31T17:00:00.000Z' });
  expect(monthPeriod('2026-13')).toBeUndefined();
  // 00:30 on 1 December in Hà Nội is still 30 November in UTC: the run reports on November
  expect(previousMonth('2026-11-30T17:30:00Z')).toBe('2026-11');
  expect(previousMonth('2026-01-01T00:00:00+07:00')).toBe('2025-12');
});

test('rates and CSV', () => {
  expect(rate(2, 3)).toBe(66.67);
  expect(rate(0, 0)).toBeNull();
  const csv = toCsv([{ header: 'Tên', value: (r: { n: string; v: number | null }) => r.n }, { header: 'Giá trị', value: (r) => r.v }],
    [{ n: 'Phường "Mỹ Bình", An Giang', v: 1 }, { n: 'B', v: null }]);
  expect(csv).toBe('\uFEFFTên,Giá trị\r\n"Phường ""Mỹ Bình"", An Giang",1\r\nB,\r\n');
});
