import { hopTiming } from '../../domain/hop-timing';

const vn = (local: string) => new Date(`${local}+07:00`).toISOString();

test('a hop back on a day before its due day is early, on the due day on time, after the due instant late', () => {
  const due = vn('2026-11-25T17:00:00');
  expect(hopTiming(vn('2026-11-24T23:59:00'), due)).toBe('early');
  expect(hopTiming(vn('2026-11-25T00:01:00'), due)).toBe('on-time');
  expect(hopTiming(vn('2026-11-25T17:00:00'), due)).toBe('on-time');
  expect(hopTiming(vn('2026-11-25T17:01:00'), due)).toBe('late');
  expect(hopTiming(vn('2026-11-27T08:00:00'), due)).toBe('late');
});

test('days are counted in Vietnam, not in UTC', () => {
  // 2026-11-25 06:00 in Vietnam is still the 24th in UTC
  expect(hopTiming(vn('2026-11-25T06:00:00'), vn('2026-11-25T17:00:00'))).toBe('on-time');
  expect(hopTiming(vn('2026-11-24T20:00:00'), vn('2026-11-25T01:00:00'))).toBe('early');
});

test('a hop without a deadline is on time', () => {
  expect(hopTiming(vn('2026-11-25T06:00:00'))).toBe('on-time');
  expect(hopTiming(vn('2026-11-25T06:00:00'), null)).toBe('on-time');
});
