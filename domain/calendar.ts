/**
 * The business calendar: duration arithmetic in legal working time.
 *
 * Pure and deterministic (no I/O, no clock, no environment): workflow code imports it to compute
 * deadlines, so the only dependency allowed is luxon. Every instant goes in as an ISO-8601 string
 * with an offset (`Z` or `±hh:mm`, any zone) and comes out as an ISO-8601 string in the calendar's
 * zone, e.g. `2026-03-02T07:00:00.000+07:00`. Every function validates the calendar first and
 * throws a `TypeError` listing the problems of an invalid one.
 */
import { DateTime, Duration as LuxonDuration, Info, type Zone } from 'luxon';
import type { Duration } from './plan';

/** One office session, in local wall-clock time `HH:mm` (24-hour); `end` is exclusive. */
export interface Session {
  start: string;
  end: string;
}

/** A business calendar; plain JSON, stored per province or office and copied into workflow inputs. */
export interface CalendarConfig {
  /** IANA time zone the sessions are expressed in, e.g. `Asia/Ho_Chi_Minh`. */
  zone: string;
  /** Office sessions of a working day, sorted and non-overlapping. */
  sessions: Session[];
  /** ISO weekdays (1 = Monday … 7 = Sunday) that are working days unless listed in `daysOff`. */
  weekdays: number[];
  /** `YYYY-MM-DD` public holidays and extra days off; they win over `weekdays`. */
  daysOff: string[];
  /** `YYYY-MM-DD` days that work although their weekday does not (swapped Saturdays). */
  workingDays: string[];
}

/** One working day counts as 8 working hours, whatever a calendar's sessions add up to. */
export const WORKING_DAY_MS = 8 * 3600_000;

const HOUR_MS = 3600_000;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/**
 * Scanning this many consecutive days without working time means the calendar has none left
 * (e.g. no `weekdays` and only past `workingDays`), so the scan stops instead of running forever.
 */
const MAX_IDLE_DAYS = 366;

/**
 * The usual Vietnamese office calendar: Monday to Friday, 07:00–11:30 and 13:30–17:00 in
 * `Asia/Ho_Chi_Minh`, no holidays. Frozen: build a new object to add holidays.
 */
export const DEFAULT_CALENDAR: CalendarConfig = Object.freeze({
  zone: 'Asia/Ho_Chi_Minh',
  sessions: Object.freeze([
    Object.freeze({ start: '07:00', end: '11:30' }),
    Object.freeze({ start: '13:30', end: '17:00' }),
  ]) as Session[],
  weekdays: Object.freeze([1, 2, 3, 4, 5]) as number[],
  daysOff: Object.freeze([] as string[]) as string[],
  workingDays: Object.freeze([] as string[]) as string[],
});

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** An ISO date-time that ends with an explicit offset, so it names one instant. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}(:?\d{2})?)$/i;

/**
 * Every problem with a calendar, each prefixed with the JSON pointer of the offending value;
 * empty when the calendar is usable. Checks the zone, the session format, that each session starts
 * before it ends, that sessions are sorted and do not overlap, the weekdays, the date lists, and
 * that no date is both a day off and a working day.
 */
export function validateCalendar(cal: CalendarConfig): string[] {
  const problems: string[] = [];
  if (typeof cal !== 'object' || cal === null) return ['/: calendar must be an object'];

  if (typeof cal.zone !== 'string' || !Info.normalizeZone(cal.zone).isValid) {
    problems.push(`/zone: ${JSON.stringify(cal.zone)} is not a valid time zone`);
  }

  if (!Array.isArray(cal.sessions) || cal.sessions.length === 0) {
    problems.push('/sessions: at least one session is required');
  } else {
    let previous: { start: number; end: number; index: number } | undefined;
    cal.sessions.forEach((session, index) => {
      const start = parseHhMm(session?.start);
      const end = parseHhMm(session?.end);
      if (start === undefined) {
        problems.push(`/sessions/${index}/start: ${JSON.stringify(session?.start)} is not HH:mm`);
      }
      if (end === undefined) {
        problems.push(`/sessions/${index}/end: ${JSON.stringify(session?.end)} is not HH:mm`);
      }
      if (start === undefined || end === undefined) {
        previous = undefined;
        return;
      }
      if (start >= end) {
        problems.push(`/sessions/${index}: start ${session.start} is not before end ${session.end}`);
      }
      if (previous && start < previous.start) {
        problems.push(`/sessions/${index}: starts before session ${previous.index}; sort sessions by start`);
      } else if (previous && start < previous.end) {
        problems.push(`/sessions/${index}: overlaps session ${previous.index}`);
      }
      previous = { start, end, index };
    });
  }

  if (!Array.isArray(cal.weekdays) || cal.weekdays.length === 0) {
    problems.push('/weekdays: at least one working weekday is required');
  } else {
    cal.weekdays.forEach((weekday, index) => {
      if (!Number.isInteger(weekday) || weekday < 1 || weekday > 7) {
        problems.push(`/weekdays/${index}: ${JSON.stringify(weekday)} is not an ISO weekday 1..7`);
      }
    });
  }

  for (const key of ['daysOff', 'workingDays'] as const) {
    const dates: unknown = cal[key];
    if (!Array.isArray(dates)) {
      problems.push(`/${key}: must be an array of YYYY-MM-DD dates`);
      continue;
    }
    dates.forEach((date: unknown, index) => {
      if (!isIsoDate(date)) problems.push(`/${key}/${index}: ${JSON.stringify(date)} is not a YYYY-MM-DD date`);
    });
  }
  if (Array.isArray(cal.daysOff) && Array.isArray(cal.workingDays)) {
    const off = new Set(cal.daysOff);
    cal.workingDays.forEach((date, index) => {
      if (off.has(date)) problems.push(`/workingDays/${index}: ${date} is also listed in daysOff`);
    });
  }
  return problems;
}

/**
 * Whether a local date (`YYYY-MM-DD`) is a working day: listed in `daysOff` → no; listed in
 * `workingDays` → yes; otherwise its weekday decides.
 */
export function isWorkingDay(cal: CalendarConfig, isoDate: string): boolean {
  const c = compile(cal);
  if (!isIsoDate(isoDate)) throw new TypeError(`${JSON.stringify(isoDate)} is not a YYYY-MM-DD date`);
  return isWorkingDayNumber(c, Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS);
}

/** Whether an instant falls inside an office session (start inclusive, end exclusive) of a working day. */
export function isWorkingInstant(cal: CalendarConfig, at: string): boolean {
  const c = compile(cal);
  const t = parseInstant(at);
  return dayIntervals(c, dayOf(c, t)).some(([start, end]) => start <= t && t < end);
}

/**
 * `at` itself when it lies inside a session (start inclusive, end exclusive); otherwise the start of
 * the next session on a working day. So a session's end, the lunch break, the evening and days off
 * all move to the next opening.
 */
export function nextWorkingInstant(cal: CalendarConfig, at: string): string {
  const c = compile(cal);
  const t = parseInstant(at);
  let idle = 0;
  for (let day = dayOf(c, t); ; day++) {
    const intervals = dayIntervals(c, day);
    for (const [start, end] of intervals) {
      if (t < end) return format(c, Math.max(start, t));
    }
    idle = intervals.length === 0 ? idle + 1 : 0;
    if (idle > MAX_IDLE_DAYS) throw noWorkingTime(at);
  }
}

/**
 * The earliest instant at which `ms` of working time has elapsed since `from`, counting only time
 * inside sessions of working days. Time before opening, in breaks, after the close and on days off
 * does not count, so an instant after the afternoon close starts counting the next working morning.
 * An amount that runs out exactly at a session's end stays there: Monday 07:00 plus one working day
 * is Monday 17:00, not Tuesday 07:00. `ms` is rounded to whole milliseconds; 0 returns `from`.
 *
 * @throws RangeError when `ms` is negative or not finite.
 */
export function addWorkingTime(cal: CalendarConfig, from: string, ms: number): string {
  const c = compile(cal);
  const t = parseInstant(from);
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`working time must be a non-negative number of ms, got ${ms}`);
  let remaining = Math.round(ms);
  if (remaining === 0) return format(c, t);
  let idle = 0;
  for (let day = dayOf(c, t); ; day++) {
    const intervals = dayIntervals(c, day);
    for (const [start, end] of intervals) {
      if (end <= t) continue;
      const begin = Math.max(start, t);
      const available = end - begin;
      if (remaining <= available) return format(c, begin + remaining);
      remaining -= available;
    }
    idle = intervals.length === 0 ? idle + 1 : 0;
    if (idle > MAX_IDLE_DAYS) throw noWorkingTime(from);
  }
}

/**
 * Milliseconds of working time in `[from, to)`: the inverse of {@link addWorkingTime}, so
 * `workingTimeBetween(cal, a, addWorkingTime(cal, a, ms)) === ms`. 0 when `to` is not after `from`.
 */
export function workingTimeBetween(cal: CalendarConfig, from: string, to: string): number {
  const c = compile(cal);
  const a = parseInstant(from);
  const b = parseInstant(to);
  if (b <= a) return 0;
  let total = 0;
  const lastDay = dayOf(c, b);
  for (let day = dayOf(c, a); day <= lastDay; day++) {
    for (const [start, end] of dayIntervals(c, day)) {
      const overlap = Math.min(end, b) - Math.max(start, a);
      if (overlap > 0) total += overlap;
    }
  }
  return total;
}

/**
 * The deadline `d` after `from`:
 * - `workingDays`: `d.workingDays × 8` working hours through {@link addWorkingTime} (fractions allowed);
 * - `workingHours`: that many working hours through {@link addWorkingTime};
 * - `days`: calendar days, counted on the calendar whatever the sessions: the same wall-clock time
 *   `d.days` dates later. When that date is not a working day, the deadline rolls forward to the end
 *   of the last session of the next working day ("if the last day of a period is a day off, the
 *   period ends at the end of the next working day"), so an applicant never loses the day; a working
 *   date keeps the wall-clock time as it is, even outside sessions. `d.days` must be a whole number;
 * - `iso`: plain wall-clock addition of an ISO-8601 duration (luxon `Duration.fromISO`, e.g. `PT30M`,
 *   `P1M`), ignoring the calendar entirely; for waits that are not legal deadlines.
 *
 * @throws TypeError when `d.iso` is not an ISO-8601 duration, or `d` is no known kind.
 * @throws RangeError when the amount is negative, not finite, or (for `days`) not whole.
 */
export function addDuration(cal: CalendarConfig, from: string, d: Duration): string {
  const c = compile(cal);
  const t = parseInstant(from);
  if (typeof d !== 'object' || d === null) throw new TypeError(`unknown duration ${JSON.stringify(d)}`);
  if ('workingDays' in d) return addWorkingTime(cal, from, nonNegative(d.workingDays, 'workingDays') * WORKING_DAY_MS);
  if ('workingHours' in d) return addWorkingTime(cal, from, nonNegative(d.workingHours, 'workingHours') * HOUR_MS);
  if ('days' in d) {
    const days = nonNegative(d.days, 'days');
    if (!Number.isInteger(days)) throw new RangeError(`days must be a whole number, got ${days}`);
    const landed = DateTime.fromMillis(t, { zone: c.zone }).plus({ days });
    const landedDay = dayOf(c, landed.toMillis());
    if (isWorkingDayNumber(c, landedDay)) return format(c, landed.toMillis());
    return format(c, endOfNextWorkingDay(c, landedDay, from));
  }
  if ('iso' in d) {
    const duration = parseIsoDuration(d.iso);
    return format(c, DateTime.fromMillis(t, { zone: c.zone }).plus(duration).toMillis());
  }
  throw new TypeError(`unknown duration ${JSON.stringify(d)}`);
}

/**
 * The nominal working time of a duration, for budgets and SLA ratios where no start instant is
 * known: `workingDays × 8h`, `workingHours × 1h`, `days × 8h` (a calendar day budgets one working
 * day), `iso` → its wall-clock length (luxon's casual conversion: a month is 30 days, a year 365).
 * `undefined` for a duration {@link addDuration} would reject.
 */
export function durationToMs(d: Duration): number | undefined {
  if (typeof d !== 'object' || d === null) return undefined;
  try {
    if ('workingDays' in d) return Math.round(nonNegative(d.workingDays, 'workingDays') * WORKING_DAY_MS);
    if ('workingHours' in d) return Math.round(nonNegative(d.workingHours, 'workingHours') * HOUR_MS);
    if ('days' in d) {
      const days = nonNegative(d.days, 'days');
      return Number.isInteger(days) ? days * WORKING_DAY_MS : undefined;
    }
    if ('iso' in d) return parseIsoDuration(d.iso).toMillis();
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) return undefined;
    throw error;
  }
  return undefined;
}

interface CompiledCalendar {
  zone: Zone;
  /** session bounds in minutes after local midnight */
  sessions: { start: number; end: number }[];
  weekdays: Set<number>;
  daysOff: Set<string>;
  workingDays: Set<string>;
  /** zone offsets (minutes) sampled once per day index, see {@link dayIntervals} */
  offsets: Map<number, number>;
}

function compile(cal: CalendarConfig): CompiledCalendar {
  const problems = validateCalendar(cal);
  if (problems.length > 0) throw new TypeError(`invalid calendar: ${problems.join('; ')}`);
  return {
    zone: Info.normalizeZone(cal.zone),
    sessions: cal.sessions.map((s) => ({ start: parseHhMm(s.start) as number, end: parseHhMm(s.end) as number })),
    weekdays: new Set(cal.weekdays),
    daysOff: new Set(cal.daysOff),
    workingDays: new Set(cal.workingDays),
    offsets: new Map(),
  };
}

/** Days are numbered from 1970-01-01 (day 0) by their local date in the calendar's zone. */
function dayOf(c: CompiledCalendar, epochMs: number): number {
  return Math.floor((epochMs + c.zone.offset(epochMs) * MINUTE_MS) / DAY_MS);
}

function isoDateOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function isWorkingDayNumber(c: CompiledCalendar, day: number): boolean {
  const date = isoDateOf(day);
  if (c.daysOff.has(date)) return false;
  if (c.workingDays.has(date)) return true;
  // 1970-01-01 was a Thursday (ISO weekday 4)
  const weekday = ((((day + 3) % 7) + 7) % 7) + 1;
  return c.weekdays.has(weekday);
}

/**
 * The sessions of a day as epoch-ms intervals, empty on a day off. Converting wall-clock time with
 * luxon for every session of every day is the slow part of long spans, so the zone offset is sampled
 * around the day instead; only when it changes nearby (a DST transition) does luxon resolve each
 * session, with its own rules for skipped and repeated hours.
 */
function dayIntervals(c: CompiledCalendar, day: number): [number, number][] {
  if (!isWorkingDayNumber(c, day)) return [];
  const midnight = day * DAY_MS;
  // offsets lie within ±14h, so the day's local times map into the 72 h the two samples bracket
  const before = offsetSample(c, day);
  const after = offsetSample(c, day + 3);
  if (before === after) {
    return c.sessions.map((s) => [
      midnight + (s.start - before) * MINUTE_MS,
      midnight + (s.end - before) * MINUTE_MS,
    ]);
  }
  const date = DateTime.fromMillis(midnight, { zone: 'UTC' });
  const local = (minutes: number) =>
    DateTime.fromObject(
      { year: date.year, month: date.month, day: date.day, hour: Math.floor(minutes / 60), minute: minutes % 60 },
      { zone: c.zone },
    ).toMillis();
  return c.sessions
    .map((s): [number, number] => [local(s.start), local(s.end)])
    .filter(([start, end]) => start < end);
}

function offsetSample(c: CompiledCalendar, day: number): number {
  let offset = c.offsets.get(day);
  if (offset === undefined) {
    offset = c.zone.offset(day * DAY_MS - 14 * HOUR_MS);
    c.offsets.set(day, offset);
  }
  return offset;
}

function endOfNextWorkingDay(c: CompiledCalendar, afterDay: number, from: string): number {
  for (let day = afterDay + 1; day <= afterDay + MAX_IDLE_DAYS; day++) {
    const intervals = dayIntervals(c, day);
    if (intervals.length > 0) return intervals[intervals.length - 1][1];
  }
  throw noWorkingTime(from);
}

function parseInstant(at: string): number {
  const parsed = typeof at === 'string' && ISO_INSTANT.test(at) ? DateTime.fromISO(at, { setZone: true }) : undefined;
  if (!parsed?.isValid) throw new TypeError(`${JSON.stringify(at)} is not an ISO-8601 instant with an offset`);
  return parsed.toMillis();
}

function format(c: CompiledCalendar, epochMs: number): string {
  const iso = DateTime.fromMillis(epochMs, { zone: c.zone }).toISO();
  if (iso === null) throw new RangeError(`instant ${epochMs} is outside the supported range`);
  return iso;
}

function parseHhMm(value: unknown): number | undefined {
  const match = typeof value === 'string' ? HH_MM.exec(value) : null;
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

function isIsoDate(value: unknown): value is string {
  if (typeof value !== 'string' || !ISO_DATE.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  // Date.parse rolls 2026-02-30 over to March; a real date survives the round trip
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}

function parseIsoDuration(iso: string): LuxonDuration {
  // luxon accepts a bare "P" as an empty duration; a deadline without any amount is a typo
  const duration = typeof iso === 'string' && /\d/.test(iso) ? LuxonDuration.fromISO(iso) : undefined;
  if (!duration?.isValid) throw new TypeError(`${JSON.stringify(iso)} is not an ISO-8601 duration`);
  if (Object.values(duration.toObject()).some((amount) => amount < 0)) {
    throw new RangeError(`${JSON.stringify(iso)} is negative`);
  }
  return duration;
}

function nonNegative(amount: number, kind: string): number {
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
    throw new RangeError(`${kind} must be a non-negative number, got ${JSON.stringify(amount)}`);
  }
  return amount;
}

function noWorkingTime(from: string): RangeError {
  return new RangeError(`calendar has no working time within ${MAX_IDLE_DAYS} days after ${from}`);
}
