import {
  addDuration,
  addWorkingTime,
  DEFAULT_CALENDAR,
  durationToMs,
  isWorkingDay,
  isWorkingInstant,
  nextWorkingInstant,
  validateCalendar,
  WORKING_DAY_MS,
  workingTimeBetween,
  type CalendarConfig,
} from '../../domain/calendar';
import type { Duration } from '../../domain/plan';

const H = 3600_000;
const MIN = 60_000;

/** `'2026-03-02 07:00'` → the calendar's own output format in Asia/Ho_Chi_Minh. */
const vn = (local: string) => `${local.replace(' ', 'T')}:00.000+07:00`;

/**
 * The default sessions with a 2025–2026 holiday table shaped like the announced ones: Tết 2025 off
 * from Monday 27 Jan (swapped with Saturday 8 Feb) to Saturday 1 Feb, Tết 2026 off 16–20 Feb, and
 * Hùng Kings' day 2026 (a Sunday) substituted on Monday 27 Apr.
 */
const VN_CALENDAR: CalendarConfig = {
  ...DEFAULT_CALENDAR,
  daysOff: [
    '2025-01-01',
    '2025-01-27',
    '2025-01-28',
    '2025-01-29',
    '2025-01-30',
    '2025-01-31',
    '2025-02-01',
    '2025-04-07',
    '2025-04-30',
    '2025-05-01',
    '2025-09-01',
    '2025-09-02',
    '2026-01-01',
    '2026-02-16',
    '2026-02-17',
    '2026-02-18',
    '2026-02-19',
    '2026-02-20',
    '2026-04-27',
    '2026-04-30',
    '2026-05-01',
  ],
  workingDays: ['2025-02-08'],
};

describe('DEFAULT_CALENDAR', () => {
  it('is the usual Vietnamese office week and is valid', () => {
    expect(DEFAULT_CALENDAR).toEqual({
      zone: 'Asia/Ho_Chi_Minh',
      sessions: [
        { start: '07:00', end: '11:30' },
        { start: '13:30', end: '17:00' },
      ],
      weekdays: [1, 2, 3, 4, 5],
      daysOff: [],
      workingDays: [],
    });
    expect(validateCalendar(DEFAULT_CALENDAR)).toEqual([]);
    expect(validateCalendar(VN_CALENDAR)).toEqual([]);
  });

  it('has sessions that add up to exactly one working day', () => {
    expect(workingTimeBetween(DEFAULT_CALENDAR, vn('2026-03-02 00:00'), vn('2026-03-03 00:00'))).toBe(WORKING_DAY_MS);
    expect(WORKING_DAY_MS).toBe(8 * H);
  });

  it('cannot be mutated by accident', () => {
    expect(() => DEFAULT_CALENDAR.daysOff.push('2026-01-01')).toThrow(TypeError);
    expect(() => {
      DEFAULT_CALENDAR.sessions[0].start = '08:00';
    }).toThrow(TypeError);
    expect(DEFAULT_CALENDAR.daysOff).toEqual([]);
  });
});

describe('validateCalendar', () => {
  const withChange = (change: Partial<CalendarConfig>): CalendarConfig => ({ ...DEFAULT_CALENDAR, ...change });

  it.each<[string, Partial<CalendarConfig>, string[]]>([
    ['an unknown zone', { zone: 'Asia/Saigon_Typo' }, ['/zone: "Asia/Saigon_Typo" is not a valid time zone']],
    ['no sessions', { sessions: [] }, ['/sessions: at least one session is required']],
    [
      'sessions not in HH:mm',
      { sessions: [{ start: '7:00', end: '11:30' }, { start: '13:30', end: '24:00' }] },
      ['/sessions/0/start: "7:00" is not HH:mm', '/sessions/1/end: "24:00" is not HH:mm'],
    ],
    [
      'a session ending before it starts',
      { sessions: [{ start: '11:30', end: '07:00' }] },
      ['/sessions/0: start 11:30 is not before end 07:00'],
    ],
    ['an empty session', { sessions: [{ start: '07:00', end: '07:00' }] }, ['/sessions/0: start 07:00 is not before end 07:00']],
    [
      'unsorted sessions',
      { sessions: [{ start: '13:30', end: '17:00' }, { start: '07:00', end: '11:30' }] },
      ['/sessions/1: starts before session 0; sort sessions by start'],
    ],
    [
      'overlapping sessions',
      { sessions: [{ start: '07:00', end: '12:00' }, { start: '11:30', end: '17:00' }] },
      ['/sessions/1: overlaps session 0'],
    ],
    ['no working weekday', { weekdays: [] }, ['/weekdays: at least one working weekday is required']],
    [
      'weekdays outside 1..7',
      { weekdays: [0, 1, 8, 2.5] },
      ['/weekdays/0: 0 is not an ISO weekday 1..7', '/weekdays/2: 8 is not an ISO weekday 1..7', '/weekdays/3: 2.5 is not an ISO weekday 1..7'],
    ],
    [
      'impossible or malformed dates',
      { daysOff: ['2026-02-30', '2026-1-01'], workingDays: ['02/08/2025'] },
      [
        '/daysOff/0: "2026-02-30" is not a YYYY-MM-DD date',
        '/daysOff/1: "2026-1-01" is not a YYYY-MM-DD date',
        '/workingDays/0: "02/08/2025" is not a YYYY-MM-DD date',
      ],
    ],
    [
      'a date both off and working',
      { daysOff: ['2025-02-08'], workingDays: ['2025-02-08'] },
      ['/workingDays/0: 2025-02-08 is also listed in daysOff'],
    ],
  ])('reports %s', (_case, change, problems) => {
    expect(validateCalendar(withChange(change))).toEqual(problems);
  });

  it('accepts touching sessions and other valid zones', () => {
    expect(
      validateCalendar(withChange({ sessions: [{ start: '07:00', end: '12:00' }, { start: '12:00', end: '16:00' }] })),
    ).toEqual([]);
    expect(validateCalendar(withChange({ zone: 'Europe/Paris', weekdays: [1, 2, 3, 4, 5, 6] }))).toEqual([]);
  });

  it('reports every problem at once, including missing fields', () => {
    const broken = { zone: 'Nowhere', sessions: [{ start: 'x', end: '07:00' }], weekdays: [9] } as unknown as CalendarConfig;
    expect(validateCalendar(broken)).toEqual([
      '/zone: "Nowhere" is not a valid time zone',
      '/sessions/0/start: "x" is not HH:mm',
      '/weekdays/0: 9 is not an ISO weekday 1..7',
      '/daysOff: must be an array of YYYY-MM-DD dates',
      '/workingDays: must be an array of YYYY-MM-DD dates',
    ]);
  });

  it('makes every calculation refuse an invalid calendar', () => {
    const invalid = withChange({ sessions: [{ start: '13:30', end: '17:00' }, { start: '07:00', end: '11:30' }] });
    const from = vn('2026-03-02 07:00');
    const calls: [string, () => unknown][] = [
      ['isWorkingDay', () => isWorkingDay(invalid, '2026-03-02')],
      ['isWorkingInstant', () => isWorkingInstant(invalid, from)],
      ['nextWorkingInstant', () => nextWorkingInstant(invalid, from)],
      ['addWorkingTime', () => addWorkingTime(invalid, from, H)],
      ['workingTimeBetween', () => workingTimeBetween(invalid, from, vn('2026-03-03 07:00'))],
      ['addDuration', () => addDuration(invalid, from, { days: 1 })],
    ];
    for (const [, call] of calls) {
      expect(call).toThrow(new TypeError('invalid calendar: /sessions/1: starts before session 0; sort sessions by start'));
    }
  });
});

describe('isWorkingDay', () => {
  it.each([
    ['2026-03-02', true, 'Monday'],
    ['2026-03-06', true, 'Friday'],
    ['2026-03-07', false, 'Saturday'],
    ['2026-03-08', false, 'Sunday'],
    ['2025-01-01', false, "New Year's Day"],
    ['2025-01-27', false, 'a Monday given off in exchange for a Saturday'],
    ['2025-01-29', false, 'Tết'],
    ['2025-02-08', true, 'the swapped working Saturday'],
    ['2025-02-15', false, 'an ordinary Saturday'],
    ['2026-04-27', false, 'a substitute day off'],
    ['2026-04-28', true, 'the Tuesday after it'],
  ])('%s is working: %s (%s)', (date, expected) => {
    expect(isWorkingDay(VN_CALENDAR, date)).toBe(expected);
  });

  it('follows the configured weekdays', () => {
    const sixDays = { ...DEFAULT_CALENDAR, weekdays: [1, 2, 3, 4, 5, 6] };
    expect(isWorkingDay(sixDays, '2026-03-07')).toBe(true);
    expect(isWorkingDay(sixDays, '2026-03-08')).toBe(false);
  });

  it.each(['2026-02-30', '2026-3-2', '2026-03-02T07:00:00+07:00', ''])('rejects %j', (date) => {
    expect(() => isWorkingDay(DEFAULT_CALENDAR, date)).toThrow(TypeError);
  });
});

describe('isWorkingInstant', () => {
  it.each([
    ['2026-03-02 06:59', false],
    ['2026-03-02 07:00', true],
    ['2026-03-02 11:29', true],
    ['2026-03-02 11:30', false],
    ['2026-03-02 13:30', true],
    ['2026-03-02 17:00', false],
    ['2026-03-07 09:00', false],
    ['2025-02-08 09:00', true],
    ['2025-01-29 09:00', false],
  ])('%s → %s', (local, expected) => {
    expect(isWorkingInstant(VN_CALENDAR, vn(local))).toBe(expected);
  });
});

describe('nextWorkingInstant', () => {
  it.each([
    ['inside the morning session', '2026-03-02 09:15', '2026-03-02 09:15'],
    ['at the opening', '2026-03-02 07:00', '2026-03-02 07:00'],
    ['before the opening', '2026-03-02 06:59', '2026-03-02 07:00'],
    ['at midnight', '2026-03-02 00:00', '2026-03-02 07:00'],
    ['at the morning close', '2026-03-02 11:30', '2026-03-02 13:30'],
    ['in the lunch break', '2026-03-02 12:00', '2026-03-02 13:30'],
    ['inside the afternoon session', '2026-03-02 16:59', '2026-03-02 16:59'],
    ['at the afternoon close', '2026-03-02 17:00', '2026-03-03 07:00'],
    ['in the evening', '2026-03-02 22:45', '2026-03-03 07:00'],
    ['Friday after the close', '2026-03-06 17:00', '2026-03-09 07:00'],
    ['on Saturday', '2026-03-07 10:00', '2026-03-09 07:00'],
    ['on Sunday evening', '2026-03-08 23:59', '2026-03-09 07:00'],
    ['on the eve of a long holiday', '2025-04-29 17:30', '2025-05-02 07:00'],
    ['before the swapped Saturday', '2025-02-07 17:00', '2025-02-08 07:00'],
    ['during Tết 2025', '2025-01-24 18:00', '2025-02-03 07:00'],
    ['on New Year’s Eve after the close', '2025-12-31 17:00', '2026-01-02 07:00'],
  ])('%s: %s → %s', (_case, at, expected) => {
    expect(nextWorkingInstant(VN_CALENDAR, vn(at))).toBe(vn(expected));
  });

  it('accepts any offset and answers in the calendar zone', () => {
    expect(nextWorkingInstant(DEFAULT_CALENDAR, '2026-03-02T00:00:00Z')).toBe(vn('2026-03-02 07:00'));
    expect(nextWorkingInstant(DEFAULT_CALENDAR, '2026-03-02T04:30:00.000Z')).toBe(vn('2026-03-02 13:30'));
    expect(nextWorkingInstant(DEFAULT_CALENDAR, '2026-03-02T02:00:00+0100')).toBe(vn('2026-03-02 08:00'));
  });
});

describe('addWorkingTime', () => {
  it.each([
    ['a full day from the opening ends at the close', '2026-03-02 07:00', 8 * H, '2026-03-02 17:00'],
    ['a morning ends at the morning close', '2026-03-02 07:00', 4.5 * H, '2026-03-02 11:30'],
    ['one more millisecond goes after lunch', '2026-03-02 07:00', 4.5 * H + 1, '2026-03-02T13:30:00.001+07:00'],
    ['a day from mid-morning ends next mid-morning', '2026-03-02 10:00', 8 * H, '2026-03-03 10:00'],
    ['the lunch break does not count', '2026-03-02 11:00', H, '2026-03-02 14:00'],
    ['a start in the lunch break waits for the afternoon', '2026-03-02 12:00', H, '2026-03-02 14:30'],
    ['a start before opening waits for the opening', '2026-03-02 06:00', H, '2026-03-02 08:00'],
    ['a start at the close waits for the next morning', '2026-03-02 17:00', H, '2026-03-03 08:00'],
    ['a start after the close counts from the next morning', '2026-03-02 20:00', 8 * H, '2026-03-03 17:00'],
    ['Friday afternoon runs into Monday', '2026-03-06 16:00', 2 * H, '2026-03-09 08:00'],
    ['Friday after the close counts from Monday', '2026-03-06 17:00', 8 * H, '2026-03-09 17:00'],
    ['a weekend start counts from Monday', '2026-03-07 10:00', H, '2026-03-09 08:00'],
    ['30 April and 1 May are skipped', '2025-04-29 16:00', 2 * H, '2025-05-02 08:00'],
    ['a swapped Saturday works', '2025-02-07 16:00', 2 * H, '2025-02-08 08:00'],
    ['Tết 2025 is skipped with its swapped Monday', '2025-01-24 16:00', 2 * H, '2025-02-03 08:00'],
    ['31 December runs into 2 January', '2025-12-31 16:30', H, '2026-01-02 07:30'],
    ['a minute before the close', '2026-03-02 16:59', 2 * MIN, '2026-03-03 07:01'],
  ])('%s: %s + %d ms', (_case, from, ms, expected) => {
    expect(addWorkingTime(VN_CALENDAR, vn(from), ms)).toBe(expected.includes('+') ? expected : vn(expected));
  });

  it('answers in the calendar zone whatever the input offset', () => {
    expect(addWorkingTime(DEFAULT_CALENDAR, '2026-03-02T00:00:00Z', H)).toBe(vn('2026-03-02 08:00'));
    expect(addWorkingTime(DEFAULT_CALENDAR, '2026-03-01T19:00:00-05:00', H)).toBe(vn('2026-03-02 08:00'));
  });

  it('returns the start itself for no working time, even outside sessions', () => {
    expect(addWorkingTime(DEFAULT_CALENDAR, '2026-03-02T13:00:00Z', 0)).toBe(vn('2026-03-02 20:00'));
  });

  it('rounds to whole milliseconds', () => {
    expect(addWorkingTime(DEFAULT_CALENDAR, vn('2026-03-02 07:00'), 0.4)).toBe(vn('2026-03-02 07:00'));
    expect(addWorkingTime(DEFAULT_CALENDAR, vn('2026-03-02 07:00'), 1.6)).toBe('2026-03-02T07:00:00.002+07:00');
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects %d ms', (ms) => {
    expect(() => addWorkingTime(DEFAULT_CALENDAR, vn('2026-03-02 07:00'), ms)).toThrow(RangeError);
  });

  it.each(['2026-03-02T07:00:00', '2026-03-02', 'tomorrow', '', '2026-13-02T07:00:00+07:00'])(
    'rejects the instant %j',
    (at) => {
      expect(() => addWorkingTime(DEFAULT_CALENDAR, at, H)).toThrow(
        new TypeError(`${JSON.stringify(at)} is not an ISO-8601 instant with an offset`),
      );
    },
  );

  it('counts working days as 8 hours even when the sessions add up to less', () => {
    const shortDay = { ...DEFAULT_CALENDAR, sessions: [{ start: '07:30', end: '11:30' }, { start: '13:30', end: '17:00' }] };
    expect(addWorkingTime(shortDay, vn('2026-03-02 07:30'), WORKING_DAY_MS)).toBe(vn('2026-03-03 08:00'));
  });

  it('stops with a RangeError when the calendar has no working time left', () => {
    const mondays: string[] = [];
    for (let day = Date.UTC(2026, 0, 5); day < Date.UTC(2028, 0, 1); day += 7 * 86_400_000) {
      mondays.push(new Date(day).toISOString().slice(0, 10));
    }
    const mondaysOnlyAllOff = { ...DEFAULT_CALENDAR, weekdays: [1], daysOff: mondays };
    expect(() => addWorkingTime(mondaysOnlyAllOff, vn('2026-01-01 07:00'), H)).toThrow(RangeError);
    expect(() => nextWorkingInstant(mondaysOnlyAllOff, vn('2026-01-01 07:00'))).toThrow(RangeError);
    expect(() => addDuration(mondaysOnlyAllOff, vn('2026-01-01 07:00'), { days: 2 })).toThrow(RangeError);
    expect(addWorkingTime(mondaysOnlyAllOff, vn('2027-12-20 07:00'), H)).toBe(vn('2028-01-03 08:00'));
  });
});

describe('workingTimeBetween', () => {
  it.each([
    ['a full working day', '2026-03-02 07:00', '2026-03-02 17:00', 8 * H],
    ['a whole calendar day', '2026-03-02 00:00', '2026-03-03 00:00', 8 * H],
    ['across lunch', '2026-03-02 10:00', '2026-03-02 14:00', 2 * H],
    ['only the lunch break', '2026-03-02 11:30', '2026-03-02 13:30', 0],
    ['evening to morning', '2026-03-02 17:00', '2026-03-03 07:00', 0],
    ['Friday afternoon to Monday morning', '2026-03-06 16:00', '2026-03-09 08:00', 2 * H],
    ['a weekend', '2026-03-07 00:00', '2026-03-09 00:00', 0],
    ['a working week', '2026-03-02 00:00', '2026-03-09 00:00', 40 * H],
    ['across Tết 2025', '2025-01-24 07:00', '2025-02-04 07:00', 16 * H],
    ['a week with the swapped Saturday', '2025-02-03 00:00', '2025-02-10 00:00', 48 * H],
    ['across the new year', '2025-12-31 16:00', '2026-01-02 08:00', 2 * H],
    ['an empty interval', '2026-03-02 09:00', '2026-03-02 09:00', 0],
    ['a reversed interval', '2026-03-03 09:00', '2026-03-02 09:00', 0],
  ])('%s: [%s, %s) = %d ms', (_case, from, to, expected) => {
    expect(workingTimeBetween(VN_CALENDAR, vn(from), vn(to))).toBe(expected);
  });

  it('counts a whole year: 261 weekdays in 2026, less its 9 weekday holidays in the table', () => {
    expect(workingTimeBetween(DEFAULT_CALENDAR, vn('2026-01-01 00:00'), vn('2027-01-01 00:00'))).toBe(261 * WORKING_DAY_MS);
    expect(workingTimeBetween(VN_CALENDAR, vn('2026-01-01 00:00'), vn('2027-01-01 00:00'))).toBe(252 * WORKING_DAY_MS);
  });

  it('mixes input offsets', () => {
    expect(workingTimeBetween(DEFAULT_CALENDAR, '2026-03-02T00:00:00Z', vn('2026-03-02 09:00'))).toBe(2 * H);
  });
});

describe('addDuration', () => {
  it.each<[string, string, Duration, string]>([
    ['one working day from the opening ends at the close', '2026-03-02 07:00', { workingDays: 1 }, '2026-03-02 17:00'],
    ['one working day from mid-morning', '2026-03-02 10:00', { workingDays: 1 }, '2026-03-03 10:00'],
    ['one working day after the close', '2026-03-02 17:00', { workingDays: 1 }, '2026-03-03 17:00'],
    ['one working day from Friday evening', '2026-03-06 20:00', { workingDays: 1 }, '2026-03-09 17:00'],
    ['a working week', '2026-03-02 07:00', { workingDays: 5 }, '2026-03-06 17:00'],
    ['half a working day', '2026-03-02 07:00', { workingDays: 0.5 }, '2026-03-02 11:00'],
    ['three working days across Tết 2025', '2025-01-23 08:00', { workingDays: 3 }, '2025-02-04 08:00'],
    ['fifteen working days across Tết 2025 and its swapped Saturday', '2025-01-20 07:00', { workingDays: 15 }, '2025-02-13 17:00'],
    ['one working day across Tết 2026', '2026-02-13 10:00', { workingDays: 1 }, '2026-02-23 10:00'],
    ['working hours to the morning close', '2026-03-02 07:00', { workingHours: 4.5 }, '2026-03-02 11:30'],
    ['working hours across lunch', '2026-03-02 10:30', { workingHours: 3 }, '2026-03-02 15:30'],
    ['sixteen working hours', '2026-03-02 07:00', { workingHours: 16 }, '2026-03-03 17:00'],
    ['a quarter working hour', '2026-03-02 07:00', { workingHours: 0.25 }, '2026-03-02 07:15'],
    ['working hours after the close', '2025-12-31 17:30', { workingHours: 1 }, '2026-01-02 08:00'],
    ['calendar days to a working day keep the time', '2026-03-02 10:00', { days: 3 }, '2026-03-05 10:00'],
    ['calendar days keep a time after the close', '2026-03-02 20:00', { days: 1 }, '2026-03-03 20:00'],
    ['calendar days to Saturday roll to the end of Monday', '2026-03-05 10:00', { days: 2 }, '2026-03-09 17:00'],
    ['calendar days to Sunday roll to the end of Monday', '2026-03-06 10:00', { days: 2 }, '2026-03-09 17:00'],
    ['calendar days to a holiday roll past it', '2025-04-28 09:00', { days: 2 }, '2025-05-02 17:00'],
    ['calendar days into Tết roll past it', '2025-01-24 15:00', { days: 7 }, '2025-02-03 17:00'],
    ['calendar days to a swapped Saturday stay', '2025-02-05 09:00', { days: 3 }, '2025-02-08 09:00'],
    ['calendar days over a month', '2026-03-02 09:00', { days: 30 }, '2026-04-01 09:00'],
    ['no calendar days on a working day', '2026-03-02 09:00', { days: 0 }, '2026-03-02 09:00'],
    ['no calendar days on Sunday', '2026-03-08 09:00', { days: 0 }, '2026-03-09 17:00'],
    ['an ISO duration ignores sessions', '2026-03-06 16:50', { iso: 'PT30M' }, '2026-03-06 17:20'],
    ['an ISO duration ignores weekends', '2026-03-07 10:00', { iso: 'P1D' }, '2026-03-08 10:00'],
    ['an ISO duration ignores holidays', '2025-01-28 10:00', { iso: 'P1DT2H' }, '2025-01-29 12:00'],
    ['an ISO month is a calendar month', '2026-01-31 10:00', { iso: 'P1M' }, '2026-02-28 10:00'],
  ])('%s: %s + %j', (_case, from, duration, expected) => {
    expect(addDuration(VN_CALENDAR, vn(from), duration)).toBe(vn(expected));
  });

  it('answers in the calendar zone for ISO durations too', () => {
    expect(addDuration(DEFAULT_CALENDAR, '2026-03-02T00:00:00Z', { iso: 'PT2H' })).toBe(vn('2026-03-02 09:00'));
  });

  it.each(['garbage', '', 'P', 'PT', '1D', 'P1X'])('rejects the ISO duration %j naming it', (iso) => {
    expect(() => addDuration(DEFAULT_CALENDAR, vn('2026-03-02 07:00'), { iso })).toThrow(
      new TypeError(`${JSON.stringify(iso)} is not an ISO-8601 duration`),
    );
  });

  it.each<[Duration]>([
    [{ workingDays: -1 }],
    [{ workingHours: Number.NaN }],
    [{ days: -2 }],
    [{ days: 1.5 }],
    [{ iso: 'P-1D' }],
  ])('rejects the amount of %j', (duration) => {
    expect(() => addDuration(DEFAULT_CALENDAR, vn('2026-03-02 07:00'), duration)).toThrow(RangeError);
  });

  it('rejects an unknown kind of duration', () => {
    expect(() => addDuration(DEFAULT_CALENDAR, vn('2026-03-02 07:00'), { weeks: 1 } as unknown as Duration)).toThrow(
      new TypeError('unknown duration {"weeks":1}'),
    );
    expect(() => addDuration(DEFAULT_CALENDAR, vn('2026-03-02 07:00'), null as unknown as Duration)).toThrow(
      new TypeError('unknown duration null'),
    );
  });
});

describe('durationToMs', () => {
  it.each<[Duration, number | undefined]>([
    [{ workingDays: 2 }, 16 * H],
    [{ workingDays: 0.5 }, 4 * H],
    [{ workingHours: 3 }, 3 * H],
    [{ workingHours: 0.1 }, 6 * MIN],
    [{ days: 3 }, 3 * WORKING_DAY_MS],
    [{ days: 0 }, 0],
    [{ iso: 'PT90M' }, 90 * MIN],
    [{ iso: 'P1D' }, 24 * H],
    [{ iso: 'P1M' }, 30 * 24 * H],
    [{ iso: 'garbage' }, undefined],
    [{ iso: 'P-1D' }, undefined],
    [{ workingDays: -1 }, undefined],
    [{ days: 1.5 }, undefined],
    [{ weeks: 1 } as unknown as Duration, undefined],
    [null as unknown as Duration, undefined],
  ])('%j → %s', (duration, expected) => {
    expect(durationToMs(duration)).toBe(expected);
  });
});

describe('time zones with daylight saving', () => {
  // 01:00–04:00 spans the spring-forward gap (29 Mar 2026) and the fall-back overlap (25 Oct 2026)
  const paris: CalendarConfig = {
    zone: 'Europe/Paris',
    sessions: [{ start: '01:00', end: '04:00' }],
    weekdays: [1, 2, 3, 4, 5, 6, 7],
    daysOff: [],
    workingDays: [],
  };

  it.each([
    ['an ordinary day', '2026-03-28T00:00:00+01:00', '2026-03-29T00:00:00+01:00', 3 * H],
    ['the spring-forward day', '2026-03-29T00:00:00+01:00', '2026-03-30T00:00:00+02:00', 2 * H],
    ['the fall-back day', '2026-10-25T00:00:00+02:00', '2026-10-26T00:00:00+01:00', 4 * H],
  ])('counts elapsed time on %s', (_case, from, to, expected) => {
    expect(workingTimeBetween(paris, from, to)).toBe(expected);
  });

  it('adds across the transitions', () => {
    expect(addWorkingTime(paris, '2026-03-29T01:00:00+01:00', 3 * H)).toBe('2026-03-30T02:00:00.000+02:00');
    expect(addWorkingTime(paris, '2026-10-25T01:00:00+02:00', 4 * H)).toBe('2026-10-25T04:00:00.000+01:00');
  });
});

describe('long spans (their speed is measured by bench/calendar.ts)', () => {
  it('adds a year of working days and measures a decade', () => {
    expect(addDuration(VN_CALENDAR, vn('2026-01-01 00:00'), { workingDays: 252 })).toBe(vn('2026-12-31 17:00'));
    expect(workingTimeBetween(DEFAULT_CALENDAR, vn('2026-01-01 00:00'), vn('2036-01-01 00:00'))).toBe(2608 * WORKING_DAY_MS);
  });
});

describe('properties over many instants (seeded)', () => {
  /** mulberry32: a tiny deterministic generator, so a failure replays identically */
  const random = (() => {
    let seed = 20250129;
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  })();
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low));
  const iso = (ms: number) => new Date(ms).toISOString();
  const ms = (at: string) => Date.parse(at);

  // Tết 2025, the swapped Saturday, the 2025 year end and Tết 2026 all fall inside this span
  const spanStart = ms(vn('2024-12-20 00:00'));
  const spanEnd = ms(vn('2026-03-10 00:00'));
  const boundaries = ['07:00', '11:30', '13:30', '17:00'];
  /** a random instant, one in three exactly on a session boundary */
  const instant = () => {
    const t = between(spanStart, spanEnd);
    if (random() < 1 / 3) {
      const date = new Date(t + 7 * H).toISOString().slice(0, 10);
      return ms(vn(`${date} ${boundaries[between(0, boundaries.length)]}`));
    }
    return t;
  };
  /** a working amount up to 20 working days, one in three a whole number of half hours */
  const amount = () => (random() < 1 / 3 ? between(1, 320) * 30 * MIN : between(1, 20 * WORKING_DAY_MS));
  const cases = Array.from({ length: 400 }, () => {
    const from = instant();
    // the other end of an interval: up to six weeks either side, about the reach of a deadline
    return { from, work: amount(), other: from + between(-42 * 24 * H, 42 * 24 * H) };
  });

  it('addWorkingTime and workingTimeBetween are inverse, and deadlines end on working time', () => {
    for (const { from, work } of cases) {
      const deadline = addWorkingTime(VN_CALENDAR, iso(from), work);
      expect(deadline).toMatch(/\+07:00$/);
      expect(workingTimeBetween(VN_CALENDAR, iso(from), deadline)).toBe(work);
      expect(isWorkingInstant(VN_CALENDAR, iso(ms(deadline) - 1))).toBe(true);
      expect(ms(addWorkingTime(VN_CALENDAR, iso(from), work + 1))).toBeGreaterThan(ms(deadline));
    }
  });

  it('adds in steps the same as at once', () => {
    for (const { from, work } of cases) {
      const first = between(1, work);
      const stepped = addWorkingTime(VN_CALENDAR, addWorkingTime(VN_CALENDAR, iso(from), first), work - first);
      expect(stepped).toBe(addWorkingTime(VN_CALENDAR, iso(from), work));
    }
  });

  it('measures any interval so that adding it back reaches its last working instant', () => {
    for (const { from, other } of cases) {
      const [a, b] = from <= other ? [from, other] : [other, from];
      const work = workingTimeBetween(VN_CALENDAR, iso(a), iso(b));
      if (work === 0) {
        expect(ms(nextWorkingInstant(VN_CALENDAR, iso(a)))).toBeGreaterThanOrEqual(b);
        continue;
      }
      const reached = addWorkingTime(VN_CALENDAR, iso(a), work);
      expect(ms(reached)).toBeLessThanOrEqual(b);
      expect(workingTimeBetween(VN_CALENDAR, reached, iso(b))).toBe(0);
      if (isWorkingInstant(VN_CALENDAR, iso(b - 1))) expect(ms(reached)).toBe(b);
    }
  });

  it('splits intervals additively', () => {
    for (const { from, other } of cases) {
      const [a, c] = from <= other ? [from, other] : [other, from];
      const b = between(a, c + 1);
      expect(workingTimeBetween(VN_CALENDAR, iso(a), iso(b)) + workingTimeBetween(VN_CALENDAR, iso(b), iso(c))).toBe(
        workingTimeBetween(VN_CALENDAR, iso(a), iso(c)),
      );
    }
  });

  it('agrees with a count in 5-minute steps over a fortnight around Tết 2025', () => {
    const from = ms(vn('2025-01-22 00:00'));
    let expected = 0;
    // every session boundary is a multiple of 5 minutes, so sampling each step's start is exact
    for (let t = from; t < from + 14 * 24 * H; t += 5 * MIN) {
      if (isWorkingInstant(VN_CALENDAR, iso(t))) expected += 5 * MIN;
    }
    // 22–24 Jan and 3–4 Feb are the only working days in [22 Jan, 5 Feb)
    expect(expected).toBe(5 * WORKING_DAY_MS);
    expect(workingTimeBetween(VN_CALENDAR, iso(from), iso(from + 14 * 24 * H))).toBe(expected);
  });
});
