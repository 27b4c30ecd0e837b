import type { Knex } from 'knex';
import { DEFAULT_CALENDAR, type CalendarConfig, type Session } from '../domain/calendar';
import { FIRST_PREFILL_YEAR, prefillYear, type HolidayEntry } from '../domain/holidays-vn';

/** The library's draft for a year; years before the Labour Code 2019 have none. */
function prefillOrEmpty(year: number) {
  return year < FIRST_PREFILL_YEAR ? { daysOff: [], workingDays: [] } : prefillYear(year);
}

export interface CalendarYear {
  year: number;
  daysOff: HolidayEntry[];
  workingDays: HolidayEntry[];
  source: 'prefill' | 'admin';
  updatedBy?: string;
  updatedAt?: string;
}

/**
 * The business calendar kept in PostgreSQL: the yearly holiday table (shared by the province) and
 * per-agency office sessions. Read on every use, so an admin's correction applies to the next deadline.
 */
export function createCalendarStore(db: Knex) {
  async function year(y: number): Promise<CalendarYear> {
    const row = await db('calendar_years').where({ year: y }).first();
    if (row) {
      return { year: y, daysOff: row.days_off, workingDays: row.working_days, source: row.source,
        updatedBy: row.updated_by, updatedAt: new Date(row.updated_at).toISOString() };
    }
    return { year: y, ...prefillOrEmpty(y), source: 'prefill' };
  }

  return {
    year,

    /** Stores the pre-fill for each year not in the table yet; hand corrections are never overwritten. */
    async ensureYears(years: number[], actor = 'system'): Promise<void> {
      for (const y of years) {
        const filled = prefillOrEmpty(y);
        await db('calendar_years').insert({ year: y, days_off: JSON.stringify(filled.daysOff),
          working_days: JSON.stringify(filled.workingDays), source: 'prefill', updated_by: actor })
          .onConflict('year').ignore();
      }
    },

    async saveYear(y: number, table: { daysOff: HolidayEntry[]; workingDays: HolidayEntry[] }, actor: string): Promise<CalendarYear> {
      await db('calendar_years').insert({ year: y, days_off: JSON.stringify(table.daysOff),
        working_days: JSON.stringify(table.workingDays), source: 'admin', updated_by: actor, updated_at: db.fn.now() })
        .onConflict('year').merge();
      return year(y);
    },

    /** An agency's office sessions (the province default when it has none of its own). */
    async agencySessions(agencyCode: string) {
      const own = await db('agency_calendars').where({ agency_code: agencyCode }).first();
      return { agency: agencyCode, zone: own?.zone ?? DEFAULT_CALENDAR.zone, sessions: own?.sessions ?? DEFAULT_CALENDAR.sessions,
        weekdays: own?.weekdays ?? DEFAULT_CALENDAR.weekdays, source: own ? 'agency' : 'default' };
    },

    async saveAgencySessions(agencyCode: string, cal: { zone: string; sessions: Session[]; weekdays: number[] }, actor: string) {
      await db('agency_calendars').insert({ agency_code: agencyCode, zone: cal.zone, sessions: JSON.stringify(cal.sessions),
        weekdays: JSON.stringify(cal.weekdays), updated_by: actor, updated_at: db.fn.now() }).onConflict('agency_code').merge();
    },

    /** The calendar an agency counts legal time on: its sessions and every stored year's table. */
    async calendarFor(agencyCode: string): Promise<CalendarConfig> {
      const [own, years] = await Promise.all([
        db('agency_calendars').where({ agency_code: agencyCode }).first(),
        db('calendar_years').select('days_off', 'working_days'),
      ]);
      return {
        zone: own?.zone ?? DEFAULT_CALENDAR.zone,
        sessions: (own?.sessions as Session[] | undefined) ?? [...DEFAULT_CALENDAR.sessions],
        weekdays: (own?.weekdays as number[] | undefined) ?? [...DEFAULT_CALENDAR.weekdays],
        daysOff: years.flatMap((r) => (r.days_off as HolidayEntry[]).map((d) => d.date)),
        workingDays: years.flatMap((r) => (r.working_days as HolidayEntry[]).map((d) => d.date)),
      };
    },
  };
}

export type CalendarStore = ReturnType<typeof createCalendarStore>;
