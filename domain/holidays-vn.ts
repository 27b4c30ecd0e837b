/**
 * Pre-fill of a year's Vietnamese public holidays, the starting point of the yearly holiday table an
 * administrator maintains (see the calendar's `daysOff` and `workingDays`). The official days come
 * from the Labour Code 2019, art. 112; the government announces each year's actual break, its
 * substitute days and its swapped Saturdays, so this table is a draft, never the final word.
 *
 * Not for workflow code: it depends on `date-holidays`, which computes the Vietnamese lunar calendar
 * (it differs from the Chinese one in some years, e.g. Tết 1985 and 2007).
 */
import Holidays from 'date-holidays';
import { DateTime } from 'luxon';

/** A dated entry of the holiday table; `name` is the Vietnamese label shown to staff. */
export interface HolidayEntry {
  /** local date `YYYY-MM-DD` */
  date: string;
  name: string;
}

/** A year's draft holiday table, in the shape of the calendar's `daysOff` and `workingDays`. */
export interface YearPrefill {
  daysOff: HolidayEntry[];
  workingDays: HolidayEntry[];
}

/** The Labour Code 2019 (and with it the second National Day day) took effect on 1 January 2021. */
export const FIRST_PREFILL_YEAR = 2021;

const ZONE = 'Asia/Ho_Chi_Minh';

/** date-holidays rules (its VN data) of the days art. 112 makes days off. */
const RULES = {
  newYear: '01-01',
  lunarNewYear: 'vietnamese 1-0-1',
  hungKings: 'vietnamese 3-0-10',
  reunification: '04-30',
  labour: '05-01',
  nationalDay: '09-02',
} as const;

const TET_DAY_NAMES = ['giao thừa', 'mùng 1', 'mùng 2', 'mùng 3', 'mùng 4'];

/**
 * The official days off of `year` (Labour Code 2019, art. 112), sorted by date:
 * - 1 January;
 * - Tết: five days, the last day of the old lunar year and the first four of the new one (the same
 *   five days date-holidays lists as its Tết span), computed from the library's Vietnamese lunar
 *   new year;
 * - Hùng Kings' day, 10th day of the 3rd lunar month;
 * - 30 April and 1 May;
 * - National Day, 2 September, plus one adjacent day. The government picks 1 or 3 September each
 *   year; the draft picks the one that joins the break to a weekend, as the announcements of
 *   2021–2025 did: a weekday beats a Saturday or Sunday, then a Monday or Friday beats a midweek
 *   day, then 1 September.
 *
 * Days falling on a weekend are listed anyway: the law moves them to a substitute working day,
 * which the government announces with the yearly swaps and an administrator adds by hand, as are
 * the swapped working Saturdays, so `workingDays` is always empty here.
 *
 * @throws RangeError for a year before {@link FIRST_PREFILL_YEAR} or not a whole number.
 * @throws Error when date-holidays no longer yields one of the holidays above (a library change).
 */
export function prefillYear(year: number): YearPrefill {
  if (!Number.isInteger(year) || year < FIRST_PREFILL_YEAR) {
    throw new RangeError(`holiday pre-fill covers the Labour Code 2019, from ${FIRST_PREFILL_YEAR}; got ${year}`);
  }
  // asking for public holidays only also spares the library computing a dozen lunar observances
  const publicHolidays = new Holidays('VN', { timezone: ZONE, types: ['public'] }).getHolidays(year, 'vi');
  const find = (rule: string) => {
    const holiday = publicHolidays.find((h) => h.rule === rule);
    if (!holiday) throw new Error(`date-holidays gives no public holiday "${rule}" for VN in ${year}`);
    return { date: DateTime.fromISO(holiday.date.slice(0, 10), { zone: ZONE }), name: holiday.name };
  };
  const entry = (date: DateTime, name: string): HolidayEntry => ({ date: date.toISODate() as string, name });

  const newYear = find(RULES.newYear);
  const tet = find(RULES.lunarNewYear);
  const hungKings = find(RULES.hungKings);
  const reunification = find(RULES.reunification);
  const labour = find(RULES.labour);
  const nationalDay = find(RULES.nationalDay);

  const daysOff: HolidayEntry[] = [
    entry(newYear.date, newYear.name),
    ...TET_DAY_NAMES.map((label, index) => entry(tet.date.plus({ days: index - 1 }), `${tet.name} (${label})`)),
    entry(hungKings.date, hungKings.name),
    entry(reunification.date, reunification.name),
    entry(labour.date, labour.name),
    entry(nationalDay.date, nationalDay.name),
    entry(adjacentNationalDay(nationalDay.date), `${nationalDay.name} (ngày liền kề)`),
  ];
  daysOff.sort((a, b) => a.date.localeCompare(b.date));
  return { daysOff, workingDays: [] };
}

function adjacentNationalDay(nationalDay: DateTime): DateTime {
  const before = nationalDay.minus({ days: 1 });
  const after = nationalDay.plus({ days: 1 });
  const score = (day: DateTime) => {
    if (day.weekday >= 6) return 0;
    return day.weekday === 1 || day.weekday === 5 ? 2 : 1;
  };
  return score(after) > score(before) ? after : before;
}
