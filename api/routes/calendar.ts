import { Router } from 'express';
import { DateTime } from 'luxon';
import type { CalendarStore } from '../../stores/calendar-store';
import { requireOfficer } from '../auth';
import { validateCalendar, type Session } from '../../domain/calendar';
import { NotFoundError, ValidationError, type ProblemDetail } from '../errors';
import { intParam } from '../params';
import type { Validator } from '../validation';

const entry = {
  type: 'object', additionalProperties: false, required: ['date', 'name'],
  properties: { date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }, name: { type: 'string', minLength: 1, maxLength: 200 } },
};
const yearSchema = {
  type: 'object', additionalProperties: false, required: ['daysOff', 'workingDays'],
  properties: { daysOff: { type: 'array', items: entry, maxItems: 100 }, workingDays: { type: 'array', items: entry, maxItems: 60 } },
};

type Entry = { date: string; name: string };

function checkYear(year: number, table: { daysOff: Entry[]; workingDays: Entry[] }): ProblemDetail[] {
  const problems: ProblemDetail[] = [];
  const seen = new Map<string, string>();
  for (const list of ['daysOff', 'workingDays'] as const) {
    table[list].forEach((e, i) => {
      const path = `$.${list}[${i}].date`;
      const day = DateTime.fromISO(e.date, { zone: 'Asia/Ho_Chi_Minh' });
      if (!day.isValid) return problems.push({ path, message: `${e.date} is not a date` });
      if (day.year !== year) problems.push({ path, message: `${e.date} is not in ${year}` });
      if (list === 'workingDays' && day.weekday < 6) problems.push({ path, message: `${e.date} is a weekday already; list swapped Saturdays or Sundays here` });
      const other = seen.get(e.date);
      if (other) problems.push({ path, message: `${e.date} is listed twice (also in ${other})` });
      seen.set(e.date, list);
    });
  }
  return problems;
}

/** The yearly holiday table: public to read, edited by ops. */
export function calendarRouter(deps: { calendar: CalendarStore; validator: Validator; agencyExists(code: string): Promise<boolean> }): Router {
  const router = Router();
  const yearParam = (raw: string) => intParam(raw, 'year', { min: 2000, max: 2100 });

  router.get('/calendar/:year', async (req, res) => {
    res.json(await deps.calendar.year(yearParam(req.params.year)));
  });

  router.put('/calendar/:year', async (req, res) => {
    const officer = requireOfficer(req, 'ops');
    const year = yearParam(req.params.year);
    const table = deps.validator.check<{ daysOff: Entry[]; workingDays: Entry[] }>(yearSchema, req.body, 'the holiday table');
    const problems = checkYear(year, table);
    if (problems.length) throw new ValidationError('the holiday table is invalid', problems);
    const sort = (l: Entry[]) => [...l].sort((a, b) => a.date.localeCompare(b.date));
    res.json(await deps.calendar.saveYear(year, { daysOff: sort(table.daysOff), workingDays: sort(table.workingDays) }, officer.username));
  });
  router.get('/calendar/agencies/:agency', async (req, res) => {
    res.json(await deps.calendar.agencySessions(req.params.agency));
  });

  router.put('/calendar/agencies/:agency', async (req, res) => {
    const officer = requireOfficer(req, 'ops');
    const body = deps.validator.check<{ zone: string; sessions: Session[]; weekdays: number[] }>(sessionsSchema, req.body, 'the office hours');
    const problems = validateCalendar({ ...body, daysOff: [], workingDays: [] })
      .map((problem) => {
        const [pointer, ...rest] = problem.split(': ');
        return { path: `$${pointer.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')}`, message: rest.join(': ') };
      });
    if (problems.length) throw new ValidationError('the office hours are invalid', problems);
    if (!(await deps.agencyExists(req.params.agency))) throw new NotFoundError(`agency ${req.params.agency} is not in the registry`);
    await deps.calendar.saveAgencySessions(req.params.agency, body, officer.username);
    res.json(await deps.calendar.agencySessions(req.params.agency));
  });
  return router;
}

const sessionsSchema = {
  type: 'object', additionalProperties: false, required: ['zone', 'sessions', 'weekdays'],
  properties: {
    zone: { type: 'string', minLength: 1 },
    sessions: { type: 'array', minItems: 1, maxItems: 4, items: { type: 'object', additionalProperties: false, required: ['start', 'end'],
      properties: { start: { type: 'string' }, end: { type: 'string' } } } },
    weekdays: { type: 'array', minItems: 1, maxItems: 7, uniqueItems: true, items: { type: 'integer', minimum: 1, maximum: 7 } },
  },
};
