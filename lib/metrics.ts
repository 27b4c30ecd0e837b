/**
 * The platform's Prometheus metrics, served at `GET /metrics`. One registry per process: `npm start`
 * runs the API and the worker together and hands both the same {@link Metrics}.
 */
import type { Context as ActivityContext } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Knex } from 'knex';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Task completion latency buckets, in seconds: a minute to a month. */
const LATENCY_BUCKETS = [60, 300, 900, 3600, 4 * 3600, 8 * 3600, 86_400, 3 * 86_400, 7 * 86_400, 30 * 86_400];

export interface Metrics {
  registry: Registry;
  /** Records how long a task took from opening to completion, when the API completes it. */
  observeTaskCompletion(task: { procedureCode: string; agency: string; unit: string; createdAt: string | Date; completedAt?: Date }): void;
  /** Counts a dossier step that failed for good and now waits for ops. */
  countAttention(info: { activity: string; type: string }): void;
  /** Worker interceptors counting failed activity attempts. */
  activityInterceptors: ActivityInterceptorsFactory[];
}

/**
 * Builds the metrics: dossiers by status and open/overdue tasks are gauges read from PostgreSQL at
 * scrape time; completion latency and activity failures are recorded as they happen.
 */
export function createMetrics(deps: { db: Knex; processMetrics?: boolean }): Metrics {
  const { db } = deps;
  const registry = new Registry();
  if (deps.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'onestop_' });

  new Gauge({
    name: 'onestop_dossiers', help: 'Dossiers by agency and status (1 Mới đăng ký … 10 Đã trả kết quả)',
    labelNames: ['agency', 'status'] as const, registers: [registry],
    async collect() {
      const rows = await db('dossiers').groupBy('agency_code', 'status').select('agency_code', 'status', db.raw('count(*)::int AS n'));
      this.reset();
      for (const r of rows) this.set({ agency: r.agency_code, status: String(r.status) }, r.n);
    },
  });

  // the two task gauges are collected together on each scrape: one query serves both
  let scrape: Promise<{ agency_code: string; unit_code: string; n: number; overdue: number }[]> | undefined;
  const openTasks = () => (scrape ??= db('tasks').whereIn('state', ['open', 'claimed']).groupBy('agency_code', 'unit_code')
    .select('agency_code', 'unit_code', db.raw('count(*)::int AS n'), db.raw('count(*) FILTER (WHERE due_at < now())::int AS overdue'))
    .finally(() => { scrape = undefined; }));
  new Gauge({
    name: 'onestop_tasks_open', help: 'Open or claimed tasks, by agency and unit',
    labelNames: ['agency', 'unit'] as const, registers: [registry],
    async collect() {
      const rows = await openTasks();
      this.reset();
      for (const r of rows) this.set({ agency: r.agency_code, unit: r.unit_code }, r.n);
    },
  });
  new Gauge({
    name: 'onestop_tasks_overdue', help: 'Open or claimed tasks past their due time, by agency and unit',
    labelNames: ['agency', 'unit'] as const, registers: [registry],
    async collect() {
      const rows = await openTasks();
      this.reset();
      for (const r of rows) this.set({ agency: r.agency_code, unit: r.unit_code }, r.overdue);
    },
  });

  const completion = new Histogram({
    name: 'onestop_task_completion_seconds', help: 'Time from a task opening to its completion through the API',
    labelNames: ['procedure', 'agency', 'unit'] as const, buckets: LATENCY_BUCKETS, registers: [registry],
  });

  const failures = new Counter({
    name: 'onestop_activity_failures_total', help: 'Failed activity attempts, by activity and error type',
    labelNames: ['activity', 'type'] as const, registers: [registry],
  });

  const attention = new Counter({
    name: 'onestop_dossier_step_failures_total',
    help: 'Dossier steps that failed for good (retries exhausted or an error no retry cures) and wait for ops, by activity and type',
    labelNames: ['activity', 'type'] as const, registers: [registry],
  });
  new Gauge({
    name: 'onestop_dossiers_needing_attention', help: 'Dossiers whose step failed for good and wait for ops to repair or cancel them, by agency',
    labelNames: ['agency'] as const, registers: [registry],
    async collect() {
      const rows = await db('dossiers').whereNotNull('attention').groupBy('agency_code').select('agency_code', db.raw('count(*)::int AS n'));
      this.reset();
      for (const r of rows) this.set({ agency: r.agency_code }, r.n);
    },
  });

  const activityInterceptors: ActivityInterceptorsFactory[] = [(ctx: ActivityContext) => ({
    inbound: {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (err) {
          const type = err instanceof ApplicationFailure && err.type ? err.type : (err as Error)?.name ?? 'Error';
          failures.inc({ activity: ctx.info.activityType, type });
          throw err;
        }
      },
    },
  })];

  return {
    registry,
    activityInterceptors,
    countAttention: (info) => attention.inc(info),
    observeTaskCompletion(task) {
      const seconds = ((task.completedAt ?? new Date()).getTime() - new Date(task.createdAt).getTime()) / 1000;
      completion.observe({ procedure: task.procedureCode, agency: task.agency, unit: task.unit }, Math.max(0, seconds));
    },
  };
}
