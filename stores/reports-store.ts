import type { Knex } from 'knex';
import type { CalendarConfig } from '../domain/calendar';
import {
  DEFAULT_DUE_SOON_MS, doneTiming, emptyFigures, monthPeriod, openTiming, rate, sumFigures, withRate,
  type GroupBy, type PunctualityFigures,
} from '../domain/reports';
import { DossierStatus } from '../domain/status';

/** Who a report row is about. */
export interface RowKey {
  agency: string;
  agencyName: string | null;
  unit?: string;
  unitName?: string | null;
  officer?: string;
  officerName?: string | null;
}

export type PunctualityRow = RowKey & PunctualityFigures;

export interface PunctualityReport {
  from: string;
  to: string;
  groupBy: GroupBy;
  agency: string | null;
  dueSoonHours: number;
  rows: PunctualityRow[];
  total: PunctualityFigures;
}

export interface PunctualityQuery {
  from: string;
  to: string;
  groupBy: GroupBy;
  agency?: string;
  dueSoonMs?: number;
}

/** The QĐ 766 indicators of one agency for a period. */
export interface IndicatorRow {
  agency: string;
  agencyName: string | null;
  received: number;
  onTime: { done: number; onTimeOrEarly: number; rate: number | null };
  online: { received: number; online: number; rate: number | null };
  digitization: { withDocuments: number; fullyDigitized: number; rate: number | null };
  onlinePayment: { withFees: number; paidOnline: number; rate: number | null };
}

export interface LateList {
  month: string;
  from: string;
  to: string;
  agencies: PunctualityRow[];
  units: PunctualityRow[];
  officers: PunctualityRow[];
  producedBy: string;
  producedAt: string;
}

const iso = (v: unknown): string | null => (v ? new Date(v as string).toISOString() : null);
const before = (v: unknown, instant: string) => Boolean(v) && new Date(v as string).getTime() < Date.parse(instant);

/** Rows by key, created on first use, kept in key order. */
class Rows {
  private readonly map = new Map<string, PunctualityRow>();
  row(key: RowKey): PunctualityRow {
    const id = [key.agency, key.unit ?? '', key.officer ?? ''].join('\u0000');
    let row = this.map.get(id);
    if (!row) {
      row = { ...key, ...emptyFigures() };
      this.map.set(id, row);
    }
    return row;
  }
  list(): PunctualityRow[] {
    return [...this.map.values()].map((r) => ({ ...r, ...withRate(r) }))
      .sort((a, b) => a.agency.localeCompare(b.agency) || (a.unit ?? '').localeCompare(b.unit ?? '')
        || (a.officer ?? '').localeCompare(b.officer ?? ''));
  }
}

/**
 * Reports computed from the read model (definitions: docs/reports.md). Used by the API and by the
 * monthly late-list activity.
 */
export function createReportStore(db: Knex, calendarFor: (agencyCode: string) => Promise<CalendarConfig>, now: () => Date = () => new Date()) {
  /** Open items are judged at the period's end, or now when the period has not ended yet. */
  const asOf = (to: string) => new Date(Math.min(Date.parse(to), now().getTime())).toISOString();
  function calendars() {
    const cache = new Map<string, Promise<CalendarConfig>>();
    return (agency: string) => {
      let cal = cache.get(agency);
      if (!cal) {
        cal = calendarFor(agency);
        cache.set(agency, cal);
      }
      return cal;
    };
  }

  async function agencyNames(): Promise<Map<string, string>> {
    const rows = await db('agencies').select('code', 'name');
    return new Map(rows.map((r) => [r.code as string, r.name as string]));
  }

  async function byAgency(q: Required<Omit<PunctualityQuery, 'agency'>> & { agency?: string }): Promise<PunctualityRow[]> {
    const { from, to } = q;
    const calendar = calendars();
    const names = await agencyNames();
    const rows = new Rows();
    const keyOf = (agency: string) => ({ agency, agencyName: names.get(agency) ?? null });

    const population = db('dossiers as d')
      .whereNotNull('d.accepted_at').andWhere('d.accepted_at', '<', to)
      .andWhere((w) => { w.whereNull('d.finished_at').orWhere('d.finished_at', '>=', from); })
      .select('d.code', 'd.agency_code', 'd.status', 'd.accepted_at', 'd.appointment_at', 'd.finished_at', 'd.supplement_count',
        db.raw(`(SELECT e.to_status FROM dossier_events e WHERE e.dossier_code = d.code AND e.type = 'status'
          AND e.to_status IS NOT NULL AND e.at < ? ORDER BY e.at DESC, e.id DESC LIMIT 1) AS status_at_to`, [to]));
    if (q.agency) population.andWhere('d.agency_code', q.agency);
    for (const d of await population) {
      const row = rows.row(keyOf(d.agency_code));
      if (before(d.accepted_at, from)) row.carriedOver += 1;
      else row.received += 1;
      const finishedInPeriod = d.finished_at && before(d.finished_at, to);
      if (!finishedInPeriod) {
        const cal = await calendar(d.agency_code);
        const timing = openTiming(asOf(to), iso(d.appointment_at), cal, { dueSoonMs: q.dueSoonMs, supplementCount: d.supplement_count,
          paused: (d.status_at_to ?? d.status) === DossierStatus.SupplementRequested });
        row.inProgress.total += 1;
        row.inProgress[timing] += 1;
      } else if (d.status === DossierStatus.Processed || d.status === DossierStatus.Returned) {
        const timing = doneTiming(iso(d.finished_at)!, iso(d.appointment_at), (await calendar(d.agency_code)).zone, d.supplement_count);
        row.done.total += 1;
        row.done[timing] += 1;
      } else if (d.status === DossierStatus.Withdrawn) row.excluded.withdrawn += 1;
      else if (d.status === DossierStatus.Refused) row.excluded.refused += 1;
      else row.excluded.stopped += 1;
    }

    const refused = db('dossiers').whereNull('accepted_at').andWhere({ status: DossierStatus.Refused })
      .andWhere('finished_at', '>=', from).andWhere('finished_at', '<', to)
      .groupBy('agency_code').select('agency_code', db.raw('count(*)::int AS n'));
    if (q.agency) refused.andWhere({ agency_code: q.agency });
    for (const r of await refused) rows.row(keyOf(r.agency_code)).excluded.refused += r.n;

    const overdue = db('dossier_events as e').join('dossiers as d', 'd.code', 'e.dossier_code')
      .where('e.type', 'step-overdue').andWhere('e.at', '>=', from).andWhere('e.at', '<', to)
      .groupBy('d.agency_code').select('d.agency_code', db.raw('count(*)::int AS n'));
    if (q.agency) overdue.andWhere('d.agency_code', q.agency);
    for (const r of await overdue) rows.row(keyOf(r.agency_code)).stepOverdue += r.n;
    return rows.list();
  }

  async function byTask(q: Required<Omit<PunctualityQuery, 'agency'>> & { agency?: string }): Promise<PunctualityRow[]> {
    const { from, to } = q;
    const calendar = calendars();
    const names = await agencyNames();
    const units = new Map((await db('units').select('agency_code', 'code', 'name'))
      .map((u) => [`${u.agency_code}/${u.code}`, u.name as string]));
    const officers = new Map((await db('accounts').select('username', 'full_name')).map((a) => [a.username as string, a.full_name as string]));
    const rows = new Rows();
    // a task is the officer's who completed it, else the one who holds its claim; unclaimed open tasks belong to the unit only
    const ownerOf = (t: Record<string, any>): string | null => t.completed_by ?? (t.state === 'claimed' ? t.claimed_by : null);
    const keyOf = (t: Record<string, any>): RowKey | undefined => {
      const base = { agency: t.agency_code, agencyName: names.get(t.agency_code) ?? null, unit: t.unit_code,
        unitName: units.get(`${t.agency_code}/${t.unit_code}`) ?? null };
      if (q.groupBy === 'unit') return base;
      const officer = ownerOf(t);
      return officer ? { ...base, officer, officerName: officers.get(officer) ?? null } : undefined;
    };

    const tasks = db('tasks as t').whereNot('t.state', 'cancelled').andWhere('t.created_at', '<', to)
      .andWhere((w) => { w.whereNull('t.completed_at').orWhere('t.completed_at', '>=', from); })
      .select('t.agency_code', 't.unit_code', 't.state', 't.created_at', 't.due_at', 't.completed_at', 't.completed_by', 't.claimed_by');
    if (q.agency) tasks.andWhere('t.agency_code', q.agency);
    for (const t of await tasks) {
      const key = keyOf(t);
      if (!key) continue;
      const row = rows.row(key);
      if (before(t.created_at, from)) row.carriedOver += 1;
      else row.received += 1;
      if (t.completed_at && before(t.completed_at, to)) {
        const timing = doneTiming(iso(t.completed_at)!, iso(t.due_at), (await calendar(t.agency_code)).zone);
        row.done.total += 1;
        row.done[timing] += 1;
      } else {
        const timing = openTiming(asOf(to), iso(t.due_at), await calendar(t.agency_code), { dueSoonMs: q.dueSoonMs });
        row.inProgress.total += 1;
        row.inProgress[timing] += 1;
      }
    }

    const overdue = db('dossier_events as e').joinRaw(`JOIN tasks AS t ON t.id::text = e.data->>'taskId'`)
      .where('e.type', 'step-overdue').andWhere('e.at', '>=', from).andWhere('e.at', '<', to)
      .select('t.agency_code', 't.unit_code', 't.state', 't.completed_by', 't.claimed_by');
    if (q.agency) overdue.andWhere('t.agency_code', q.agency);
    for (const t of await overdue) {
      const key = keyOf(t);
      if (key) rows.row(key).stepOverdue += 1;
    }
    return rows.list();
  }

  /** Punctuality per agency (dossiers), unit or officer (tasks) for the period [from, to). */
  async function punctuality(q: PunctualityQuery): Promise<PunctualityReport> {
    const full = { ...q, dueSoonMs: q.dueSoonMs ?? DEFAULT_DUE_SOON_MS };
    const rows = q.groupBy === 'agency' ? await byAgency(full) : await byTask(full);
    return { from: q.from, to: q.to, groupBy: q.groupBy, agency: q.agency ?? null, dueSoonHours: full.dueSoonMs / 3600_000,
      rows, total: sumFigures(rows) };
  }

  /** The QĐ 766 indicators per agency for the period [from, to). */
  async function indicators(q: { from: string; to: string; agency?: string }): Promise<{ from: string; to: string; rows: IndicatorRow[] }> {
    const { from, to } = q;
    const names = await agencyNames();
    const received = db('dossiers as d').whereNotNull('d.accepted_at').andWhere('d.accepted_at', '>=', from).andWhere('d.accepted_at', '<', to)
      .groupBy('d.agency_code').orderBy('d.agency_code')
      .select('d.agency_code',
        db.raw('count(*)::int AS received'),
        db.raw(`count(*) FILTER (WHERE d.channel = 'online')::int AS online`),
        db.raw(`count(*) FILTER (WHERE EXISTS (SELECT 1 FROM dossier_documents x WHERE x.dossier_code = d.code))::int AS with_documents`),
        db.raw(`count(*) FILTER (WHERE EXISTS (SELECT 1 FROM dossier_documents x WHERE x.dossier_code = d.code)
          AND NOT EXISTS (SELECT 1 FROM dossier_documents x WHERE x.dossier_code = d.code AND x.digitization_code IS NULL))::int AS digitized`),
        db.raw(`count(*) FILTER (WHERE EXISTS (SELECT 1 FROM payments p WHERE p.dossier_code = d.code
          AND p.state <> 'cancelled' AND p.amount > 0))::int AS with_fees`),
        db.raw(`count(*) FILTER (WHERE EXISTS (SELECT 1 FROM payments p WHERE p.dossier_code = d.code
          AND p.state = 'paid' AND p.amount > 0 AND p.channel = 'online'))::int AS paid_online`));
    if (q.agency) received.andWhere('d.agency_code', q.agency);
    const done = new Map((await punctuality({ from, to, groupBy: 'agency', agency: q.agency })).rows.map((r) => [r.agency, r]));
    const counted = new Map((await received).map((r) => [r.agency_code as string, r]));
    const agencies = [...new Set([...counted.keys(), ...done.keys()])].sort();
    return {
      from, to,
      rows: agencies.map((agency) => {
        const r = counted.get(agency) ?? { received: 0, online: 0, with_documents: 0, digitized: 0, with_fees: 0, paid_online: 0 };
        const p = done.get(agency);
        const doneTotal = p?.done.total ?? 0;
        const good = (p?.done.early ?? 0) + (p?.done.onTime ?? 0);
        return {
          agency, agencyName: names.get(agency) ?? null, received: r.received,
          onTime: { done: doneTotal, onTimeOrEarly: good, rate: rate(good, doneTotal) },
          online: { received: r.received, online: r.online, rate: rate(r.online, r.received) },
          digitization: { withDocuments: r.with_documents, fullyDigitized: r.digitized, rate: rate(r.digitized, r.with_documents) },
          onlinePayment: { withFees: r.with_fees, paidOnline: r.paid_online, rate: rate(r.paid_online, r.with_fees) },
        };
      }),
    };
  }

  function presentLateList(row: Record<string, any>): LateList {
    return { month: row.month, from: iso(row.period_from)!, to: iso(row.period_to)!, agencies: row.agencies, units: row.units,
      officers: row.officers, producedBy: row.produced_by, producedAt: iso(row.produced_at)! };
  }

  return {
    punctuality,
    indicators,

    /**
     * Computes the list of agencies, units and officers late in `month` and keeps it (a second run for the
     * same month replaces it with the figures of that moment). Throws RangeError on a malformed month.
     */
    async produceLateList(month: string, producedBy: string): Promise<LateList> {
      const period = monthPeriod(month);
      if (!period) throw new RangeError(`month must be YYYY-MM, not "${month}"`);
      const late = (r: PunctualityRow) => r.done.late > 0 || r.inProgress.late > 0 || r.stepOverdue > 0;
      const [agencies, units, officers] = await Promise.all((['agency', 'unit', 'officer'] as const)
        .map(async (groupBy) => (await punctuality({ ...period, groupBy })).rows.filter(late)));
      const [row] = await db('late_lists')
        .insert({ month, period_from: period.from, period_to: period.to, agencies: JSON.stringify(agencies), units: JSON.stringify(units),
          officers: JSON.stringify(officers), produced_by: producedBy, produced_at: db.fn.now() })
        .onConflict('month').merge().returning('*');
      return presentLateList(row);
    },

    /** The kept list of `month`, or undefined when it was never produced. */
    async lateList(month: string): Promise<LateList | undefined> {
      const row = await db('late_lists').where({ month }).first();
      return row ? presentLateList(row) : undefined;
    },
  };
}

export type ReportStore = ReturnType<typeof createReportStore>;
