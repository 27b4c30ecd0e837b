import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { RECONCILIATION_WORKFLOW } from '../../workflows/messages';

export const RECONCILIATION_SCHEDULE_ID = 'payment-reconciliation';

export interface ReconciliationScheduleOptions {
  taskQueue: string;
  /** cron expression in `timezone`; each run reconciles the day before */
  cron: string;
  timezone?: string;
  scheduleId?: string;
}

/**
 * Creates (or brings up to date) the Temporal Schedule that runs the payment reconciliation each day.
 * Safe at every start, from several processes.
 */
export async function ensureReconciliationSchedule(client: Client, opts: ReconciliationScheduleOptions): Promise<void> {
  const scheduleId = opts.scheduleId ?? RECONCILIATION_SCHEDULE_ID;
  const spec = { cronExpressions: [opts.cron], timezone: opts.timezone ?? 'Asia/Ho_Chi_Minh' };
  const action = { type: 'startWorkflow' as const, workflowType: RECONCILIATION_WORKFLOW, taskQueue: opts.taskQueue,
    workflowId: `${scheduleId}-run`, args: [{}] };
  try {
    await client.schedule.create({ scheduleId, spec, action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
      memo: { description: 'Đối soát thanh toán trực tuyến hằng ngày' } });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action }));
  }
}
