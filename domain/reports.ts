/**
 * Punctuality and quality-index arithmetic (docs/reports.md): how one dossier or task is classified
 * for a period, how figures add up, and how a report becomes CSV. Pure (luxon and the business
 * calendar only), so the late-list workflow may import the period helpers.
 */
import { DateTime } from 'luxon';
import { WORKING_DAY_MS, workingTimeBetween, type CalendarConfig } from './calendar';

/** The zone periods (`from`, `to`, months) are read in when they carry no offset. */
export const REPORT_ZONE = 'Asia/Ho_Chi_Minh';

/** An open item is "due soon" when at most this much working time is left: one working day. */
export const DEFAULT_DUE_SOON_MS = WORKING_DAY_MS;

export type GroupBy = 'agency' | 'unit' | 'officer';
export const GROUP_BYS: readonly GroupBy[] = ['agency', 'unit', 'officer'];

/** How a finished item stands against its due instant. */
export type DoneTiming = 'early' | 'onTime' | 'late';
/** How an item still open at the end of the period stands against its due instant. */
export type OpenTiming = 'late' | 'dueSoon' | 'notDue' | 'paused';

/**
 * A finished dossier or task: `late` after its due instant (or, for a dossier, with a second supplement
 * request); `early` when finished on a date (in `zone`) before the due date; else `onTime`. An item
 * with no due instant is on time.
 */
export function doneTiming(finishedAt: string, dueAt: string | null, zone: string, supplementCount = 0): DoneTiming {
  if (supplementCount >= 2) return 'late';
  if (!dueAt) return 'onTime';
  if (Date.parse(finishedAt) > Date.parse(dueAt)) return 'late';
  const day = (iso: string) => DateTime.fromISO(iso, { zone }).toISODate() as string;
  return day(finishedAt) < day(dueAt) ? 'early' : 'onTime';
}

/**
 * An item open at `at`: `paused` while the applicant supplements (the legal clock stops), `late` once
 * its due instant has passed (or with a second supplement request), `dueSoon` when at most
 * `dueSoonMs` of working time is left, else `notDue` (also when it has no due instant).
 */
export function openTiming(at: string, dueAt: string | null, cal: CalendarConfig,
  opts: { paused?: boolean; supplementCount?: number; dueSoonMs?: number } = {}): OpenTiming {
  if ((opts.supplementCount ?? 0) >= 2) return 'late';
  if (opts.paused) return 'paused';
  if (!dueAt) return 'notDue';
  if (Date.parse(dueAt) <= Date.parse(at)) return 'late';
  return workingTimeBetween(cal, at, dueAt) <= (opts.dueSoonMs ?? DEFAULT_DUE_SOON_MS) ? 'dueSoon' : 'notDue';
}

/** The figures of one row of the punctuality report. */
export interface PunctualityFigures {
  /** accepted (dossier) or opened (task) within the period */
  received: number;
  /** accepted or opened before the period and not finished when it began */
  carriedOver: number;
  /** processing finished within the period (dossiers: status 9/10) */
  done: { total: number; early: number; onTime: number; late: number };
  /** still open at the end of the period */
  inProgress: { total: number; late: number; dueSoon: number; notDue: number; paused: number };
  /** ended within the period without a result: left out of punctuality (dossiers only) */
  excluded: { refused: number; withdrawn: number; stopped: number };
  /** step-overdue events within the period (units and officers) */
  stepOverdue: number;
  /** (early + on time) / done, in percent with two decimals; null when nothing was done */
  onTimeRate: number | null;
}

export function emptyFigures(): PunctualityFigures {
  return {
    received: 0, carriedOver: 0,
    done: { total: 0, early: 0, onTime: 0, late: 0 },
    inProgress: { total: 0, late: 0, dueSoon: 0, notDue: 0, paused: 0 },
    excluded: { refused: 0, withdrawn: 0, stopped: 0 },
    stepOverdue: 0, onTimeRate: null,
  };
}

/** `part / whole` in percent, two decimals; null when `whole` is 0. */
export function rate(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 100;
}

/** Fills in the rate once the counts are final. */
export function withRate(f: PunctualityFigures): PunctualityFigures {
  return { ...f, onTimeRate: rate(f.done.early + f.done.onTime, f.done.total) };
}

/** The sum of several rows' figures, its rate recomputed. */
export function sumFigures(rows: PunctualityFigures[]): PunctualityFigures {
  const total = emptyFigures();
  for (const f of rows) {
    total.received += f.received;
    total.carriedOver += f.carriedOver;
    total.stepOverdue += f.stepOverdue;
    for (const k of Object.keys(total.done) as (keyof PunctualityFigures['done'])[]) total.done[k] += f.done[k];
    for (const k of Object.keys(total.inProgress) as (keyof PunctualityFigures['inProgress'])[]) total.inProgress[k] += f.inProgress[k];
    for (const k of Object.keys(total.excluded) as (keyof PunctualityFigures['excluded'])[]) total.excluded[k] += f.excluded[k];
  }
  return withRate(total);
}

/**
 * Reads a period bound: a date `YYYY-MM-DD` is that day's start in `zone`; an ISO instant without an
 * offset is read in `zone`. Returns the instant as ISO (UTC) or undefined when unreadable.
 */
export function parseBound(raw: string, zone = REPORT_ZONE): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}([T ].*)?$/.test(raw)) return undefined;
  const t = DateTime.fromISO(raw, { zone, setZone: false });
  return t.isValid ? (t.toUTC().toISO() as string) : undefined;
}

/** The month `YYYY-MM` as the period [its first day, the next month's first day) in `zone`; undefined when malformed. */
export function monthPeriod(month: string, zone = REPORT_ZONE): { from: string; to: string } | undefined {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) return undefined;
  const start = DateTime.fromISO(`${month}-01`, { zone });
  if (!start.isValid) return undefined;
  return { from: start.toUTC().toISO() as string, to: start.plus({ months: 1 }).toUTC().toISO() as string };
}

/** The month before the one `instant` falls in (in `zone`), as `YYYY-MM`: what the 1st-of-month run reports on. */
export function previousMonth(instant: string, zone = REPORT_ZONE): string {
  return DateTime.fromISO(instant, { zone }).startOf('month').minus({ months: 1 }).toFormat('yyyy-MM');
}

/** One CSV column: its header and how to read it from a row. */
export interface CsvColumn<T> {
  header: string;
  value(row: T): string | number | null | undefined;
}

function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV with a header row, CRLF line ends and a UTF-8 byte order mark, so Excel shows Vietnamese. */
export function toCsv<T>(columns: CsvColumn<T>[], rows: T[]): string {
  const lines = [columns.map((c) => csvCell(c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(c.value(row))).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
