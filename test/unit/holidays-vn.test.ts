import Holidays from 'date-holidays';
import { DateTime } from 'luxon';
import { DEFAULT_CALENDAR, isWorkingDay, validateCalendar, type CalendarConfig } from '../../domain/calendar';
import { FIRST_PREFILL_YEAR, prefillYear } from '../../domain/holidays-vn';

const datesOff = (year: number) => prefillYear(year).daysOff.map((d) => d.date);
const nameOn = (date: string) => prefillYear(Number(date.slice(0, 4))).daysOff.find((d) => d.date === date)?.name;
/** the lunar new year's day (mùng 1) of a year's pre-fill */
const tetOf = (year: number) => prefillYear(year).daysOff.find((d) => d.name === 'Tết Nguyên Đán (mùng 1)')?.date;

describe('prefillYear', () => {
  it('lists the eleven official days off of 2025 with Vietnamese names', () => {
    expect(prefillYear(2025)).toEqual({
      daysOff: [
        { date: '2025-01-01', name: 'Tết Dương lịch' },
        { date: '2025-01-28', name: 'Tết Nguyên Đán (giao thừa)' },
        { date: '2025-01-29', name: 'Tết Nguyên Đán (mùng 1)' },
        { date: '2025-01-30', name: 'Tết Nguyên Đán (mùng 2)' },
        { date: '2025-01-31', name: 'Tết Nguyên Đán (mùng 3)' },
        { date: '2025-02-01', name: 'Tết Nguyên Đán (mùng 4)' },
        { date: '2025-04-07', name: 'Giỗ tổ Hùng Vương' },
        { date: '2025-04-30', name: 'Ngày Giải phóng miền Nam' },
        { date: '2025-05-01', name: 'Quốc tế Lao động' },
        { date: '2025-09-01', name: 'Quốc khánh (ngày liền kề)' },
        { date: '2025-09-02', name: 'Quốc khánh' },
      ],
      workingDays: [],
    });
  });

  it('lists 2026: Tết on 17 February, Hùng Kings on Sunday 26 April', () => {
    expect(datesOff(2026)).toEqual([
      '2026-01-01',
      '2026-02-16',
      '2026-02-17',
      '2026-02-18',
      '2026-02-19',
      '2026-02-20',
      '2026-04-26',
      '2026-04-30',
      '2026-05-01',
      '2026-09-01',
      '2026-09-02',
    ]);
  });

  it('falls inside the announced Tết breaks of 2025 (25 Jan–2 Feb) and 2026 (14–22 Feb)', () => {
    const tet2025 = datesOff(2025).filter((d) => d >= '2025-01-25' && d <= '2025-02-02');
    const tet2026 = datesOff(2026).filter((d) => d >= '2026-02-14' && d <= '2026-02-22');
    expect(tet2025).toEqual(['2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31', '2025-02-01']);
    expect(tet2026).toEqual(['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20']);
  });

  it.each([
    [2021, '2021-02-12', '2021-04-21'],
    [2022, '2022-02-01', '2022-04-10'],
    [2023, '2023-01-22', '2023-04-29'],
    [2024, '2024-02-10', '2024-04-18'],
    [2025, '2025-01-29', '2025-04-07'],
    [2026, '2026-02-17', '2026-04-26'],
    [2027, '2027-02-06', '2027-04-16'],
  ])('%i: Tết (mùng 1) on %s and Hùng Kings day on %s', (year, tet, hungKings) => {
    expect(tetOf(year)).toBe(tet);
    expect(nameOn(hungKings)).toBe('Giỗ tổ Hùng Vương');
  });

  it('uses the Vietnamese lunar calendar, not the Chinese one', () => {
    // Hà Nội (UTC+7) and Beijing (UTC+8) place some new moons on different dates
    expect(tetOf(2030)).toBe('2030-02-02');
    const chinese = new Holidays('CN', { types: ['public'] }).getHolidays(2030).find((h) => h.rule === 'chinese 01-0-01');
    expect(chinese?.date.slice(0, 10)).toBe('2030-02-03');
    const vietnamese = new Holidays('VN', { types: ['public'] });
    expect(vietnamese.getHolidays(1985).find((h) => h.rule === 'vietnamese 1-0-1')?.date.slice(0, 10)).toBe('1985-01-21');
    expect(vietnamese.getHolidays(2007).find((h) => h.rule === 'vietnamese 1-0-1')?.date.slice(0, 10)).toBe('2007-02-17');
  });

  it("matches date-holidays' own five-day Tết span every year to 2050", () => {
    for (let year = FIRST_PREFILL_YEAR; year <= 2050; year++) {
      const span = new Holidays('VN', { types: ['public'] }).getHolidays(year).find((h) => h.rule === '1 day before vietnamese 1-0-1 P5D');
      expect(span).toBeDefined();
      const first = DateTime.fromISO(span!.date.slice(0, 10));
      const expected = [0, 1, 2, 3, 4].map((i) => first.plus({ days: i }).toISODate());
      expect(prefillYear(year).daysOff.filter((d) => d.name.startsWith('Tết Nguyên Đán')).map((d) => d.date)).toEqual(expected);
    }
  });

  it.each([
    [2021, 'Thursday', '2021-09-03'],
    [2022, 'Friday', '2022-09-01'],
    [2023, 'Saturday', '2023-09-01'],
    [2024, 'Monday', '2024-09-03'],
    [2025, 'Tuesday', '2025-09-01'],
    [2026, 'Wednesday', '2026-09-01'],
    [2029, 'Sunday', '2029-09-03'],
  ])('%i: 2 September is a %s, so the adjacent day is %s', (year, weekday, adjacent) => {
    expect(DateTime.fromISO(`${year}-09-02`).setLocale('en').weekdayLong).toBe(weekday);
    const nationalDays = prefillYear(year).daysOff.filter((d) => d.name.startsWith('Quốc khánh'));
    expect(nationalDays).toEqual(
      [
        { date: adjacent, name: 'Quốc khánh (ngày liền kề)' },
        { date: `${year}-09-02`, name: 'Quốc khánh' },
      ].sort((a, b) => a.date.localeCompare(b.date)),
    );
  });

  it('keeps holidays that fall on a weekend; substitutes are added by hand', () => {
    expect(nameOn('2023-01-01')).toBe('Tết Dương lịch');
    expect(DateTime.fromISO('2023-01-01').weekday).toBe(7);
    expect(nameOn('2026-04-26')).toBe('Giỗ tổ Hùng Vương');
    expect(DateTime.fromISO('2026-04-26').weekday).toBe(7);
    expect(datesOff(2026)).not.toContain('2026-04-27');
  });

  it('returns eleven sorted, distinct days and no working days, year after year', () => {
    for (let year = FIRST_PREFILL_YEAR; year <= 2040; year++) {
      const { daysOff, workingDays } = prefillYear(year);
      const dates = daysOff.map((d) => d.date);
      expect(dates).toHaveLength(11);
      expect(new Set(dates).size).toBe(11);
      expect([...dates].sort()).toEqual(dates);
      expect(dates.every((d) => d.startsWith(`${year}-`))).toBe(true);
      expect(workingDays).toEqual([]);
    }
  });

  it('feeds a valid business calendar', () => {
    const calendar: CalendarConfig = { ...DEFAULT_CALENDAR, daysOff: datesOff(2025) };
    expect(validateCalendar(calendar)).toEqual([]);
    expect(isWorkingDay(calendar, '2025-01-29')).toBe(false);
    expect(isWorkingDay(calendar, '2025-04-07')).toBe(false);
    expect(isWorkingDay(calendar, '2025-02-03')).toBe(true);
  });

  it.each([2020, 1985, 2025.5, Number.NaN])('refuses the year %d', (year) => {
    expect(() => prefillYear(year)).toThrow(RangeError);
  });
});
