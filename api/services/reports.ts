import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { createReportStore, type IndicatorRow, type PunctualityRow } from '../../stores/reports-store';
import type { CalendarConfig } from '../../domain/calendar';
import { GROUP_BYS, monthPeriod, parseBound, toCsv, type CsvColumn, type GroupBy, type PunctualityFigures } from '../../domain/reports';
import { BadRequestError, NotFoundError, type ProblemDetail } from '../errors';

export interface ReportServiceDeps {
  db: Knex;
  temporal: Client;
  taskQueue: string;
  calendarFor(agencyCode: string): Promise<CalendarConfig>;
}

type Query = Record<string, unknown>;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Reads `from` and `to` (and the optional agency) of a report's query; every problem at once. */
function period(q: Query, problems: ProblemDetail[]): { from: string; to: string } {
  const bound = (name: 'from' | 'to') => {
    const raw = text(q[name]);
    if (!raw) {
      problems.push({ path: `$.query.${name}`, message: `${name} is required: a date (YYYY-MM-DD) or an ISO-8601 instant` });
      return undefined;
    }
    const at = parseBound(raw);
    if (!at) problems.push({ path: `$.query.${name}`, message: `"${raw}" is not a date (YYYY-MM-DD) or an ISO-8601 instant` });
    return at;
  };
  const from = bound('from');
  const to = bound('to');
  if (from && to && Date.parse(from) >= Date.parse(to)) problems.push({ path: '$.query.to', message: 'to must be after from (to is exclusive)' });
  return { from: from ?? '', to: to ?? '' };
}

function fail(problems: ProblemDetail[]): void {
  if (problems.length) throw new BadRequestError('the report query is invalid', problems);
}

const FIGURE_COLUMNS: CsvColumn<PunctualityFigures>[] = [
  { header: 'Tiếp nhận mới', value: (r) => r.received },
  { header: 'Kỳ trước chuyển sang', value: (r) => r.carriedOver },
  { header: 'Đã giải quyết', value: (r) => r.done.total },
  { header: 'Trước hạn', value: (r) => r.done.early },
  { header: 'Đúng hạn', value: (r) => r.done.onTime },
  { header: 'Quá hạn', value: (r) => r.done.late },
  { header: 'Đang giải quyết', value: (r) => r.inProgress.total },
  { header: 'Đang giải quyết - quá hạn', value: (r) => r.inProgress.late },
  { header: 'Đang giải quyết - sắp đến hạn', value: (r) => r.inProgress.dueSoon },
  { header: 'Đang giải quyết - chưa đến hạn', value: (r) => r.inProgress.notDue },
  { header: 'Tạm dừng chờ bổ sung', value: (r) => r.inProgress.paused },
  { header: 'Không được tiếp nhận', value: (r) => r.excluded.refused },
  { header: 'Rút hồ sơ', value: (r) => r.excluded.withdrawn },
  { header: 'Dừng xử lý', value: (r) => r.excluded.stopped },
  { header: 'Bước quá hạn', value: (r) => r.stepOverdue },
  { header: 'Tỷ lệ đúng hạn (%)', value: (r) => r.onTimeRate },
];

function keyColumns(groupBy: GroupBy): CsvColumn<PunctualityRow>[] {
  const columns: CsvColumn<PunctualityRow>[] = [
    { header: 'Mã cơ quan', value: (r) => r.agency },
    { header: 'Tên cơ quan', value: (r) => r.agencyName },
  ];
  if (groupBy !== 'agency') {
    columns.push({ header: 'Mã đơn vị', value: (r) => r.unit }, { header: 'Tên đơn vị', value: (r) => r.unitName });
  }
  if (groupBy === 'officer') {
    columns.push({ header: 'Tài khoản', value: (r) => r.officer }, { header: 'Họ tên', value: (r) => r.officerName });
  }
  return columns;
}

const INDICATOR_COLUMNS: CsvColumn<IndicatorRow>[] = [
  { header: 'Mã cơ quan', value: (r) => r.agency },
  { header: 'Tên cơ quan', value: (r) => r.agencyName },
  { header: 'Tiếp nhận', value: (r) => r.received },
  { header: 'Đã giải quyết', value: (r) => r.onTime.done },
  { header: 'Đúng hạn và trước hạn', value: (r) => r.onTime.onTimeOrEarly },
  { header: 'Tỷ lệ đúng hạn (%)', value: (r) => r.onTime.rate },
  { header: 'Nộp trực tuyến', value: (r) => r.online.online },
  { header: 'Tỷ lệ trực tuyến (%)', value: (r) => r.online.rate },
  { header: 'Hồ sơ có thành phần', value: (r) => r.digitization.withDocuments },
  { header: 'Số hóa đầy đủ', value: (r) => r.digitization.fullyDigitized },
  { header: 'Tỷ lệ số hóa (%)', value: (r) => r.digitization.rate },
  { header: 'Hồ sơ có phí, lệ phí', value: (r) => r.onlinePayment.withFees },
  { header: 'Thanh toán trực tuyến', value: (r) => r.onlinePayment.paidOnline },
  { header: 'Tỷ lệ thanh toán trực tuyến (%)', value: (r) => r.onlinePayment.rate },
];

/** Punctuality reports, QĐ 766 indicators and the monthly late list, read and checked at the edge. */
export function createReportService(deps: ReportServiceDeps) {
  const { db } = deps;
  const store = createReportStore(db, deps.calendarFor);

  async function knownAgency(agency: string | undefined): Promise<void> {
    if (agency && !(await db('agencies').where({ code: agency }).first())) throw new NotFoundError(`agency ${agency} is not in the registry`);
  }

  function checkMonth(month: unknown): string {
    const m = text(month);
    if (!m || !monthPeriod(m)) {
      throw new BadRequestError('the month is invalid', [{ path: '$.query.month', message: `month must be YYYY-MM, not "${m ?? ''}"` }]);
    }
    return m;
  }

  return {
    async punctuality(q: Query) {
      const problems: ProblemDetail[] = [];
      const { from, to } = period(q, problems);
      const groupBy = (text(q.groupBy) ?? 'agency') as GroupBy;
      if (!GROUP_BYS.includes(groupBy)) problems.push({ path: '$.query.groupBy', message: `groupBy must be ${GROUP_BYS.join(', ')}` });
      let dueSoonMs: number | undefined;
      if (q.dueSoonHours !== undefined) {
        const hours = Number(q.dueSoonHours);
        if (!Number.isFinite(hours) || hours <= 0 || hours > 240) {
          problems.push({ path: '$.query.dueSoonHours', message: 'dueSoonHours must be a number of working hours in (0, 240]' });
        } else dueSoonMs = hours * 3600_000;
      }
      fail(problems);
      const agency = text(q.agency);
      await knownAgency(agency);
      return store.punctuality({ from, to, groupBy, agency, dueSoonMs });
    },

    /** The punctuality report as CSV: one row per group, then the total. */
    punctualityCsv(report: Awaited<ReturnType<typeof store.punctuality>>): string {
      const columns = [...keyColumns(report.groupBy),
        ...FIGURE_COLUMNS.map((c) => ({ header: c.header, value: (r: PunctualityRow) => c.value(r) }))];
      const total = { agency: 'Tổng cộng', agencyName: null, ...report.total } as PunctualityRow;
      return toCsv(columns, [...report.rows, total]);
    },

    async indicators(q: Query) {
      const problems: ProblemDetail[] = [];
      const { from, to } = period(q, problems);
      fail(problems);
      const agency = text(q.agency);
      await knownAgency(agency);
      return { ...(await store.indicators({ from, to, agency })), agency: agency ?? null };
    },

    indicatorsCsv(report: { rows: IndicatorRow[] }): string {
      return toCsv(INDICATOR_COLUMNS, report.rows);
    },

    async lateList(month: unknown) {
      const m = checkMonth(month);
      const list = await store.lateList(m);
      if (!list) throw new NotFoundError(`the late list of ${m} has not been produced yet`);
      return list;
    },

    /** Produces (or produces again) the month's list now, through the same workflow the Schedule runs. */
    async produceLateList(month: unknown, username: string) {
      const m = checkMonth(month);
      await deps.temporal.workflow.execute('lateListWorkflow', {
        taskQueue: deps.taskQueue, workflowId: `late-list-${m}-${randomUUID()}`, args: [{ month: m, producedBy: username }],
      });
      return (await store.lateList(m))!;
    },
  };
}

export type ReportService = ReturnType<typeof createReportService>;
