import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { REPORT_ZONE } from '../../domain/reports';

/** The id of the monthly late-list Schedule. */
export const LATE_LIST_SCHEDULE_ID = 'late-list-monthly';

/** The Schedule's options: 00:30 on the 1st of each month, Asia/Ho_Chi_Minh, running `lateListWorkflow` for the month just ended. */
export function lateListScheduleOptions(taskQueue: string, scheduleId = LATE_LIST_SCHEDULE_ID): ScheduleOptions {
  return {
    scheduleId,
    spec: {
      calendars: [{ comment: 'monthly late list: 00:30 on the 1st', dayOfMonth: 1, hour: 0, minute: 30 }],
      timezone: REPORT_ZONE,
    },
    action: { type: 'startWorkflow', workflowType: 'lateListWorkflow', workflowId: `${scheduleId}-run`, taskQueue,
      args: [{ producedBy: 'schedule' }] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '7 days' },
  };
}

/**
 * Creates the monthly late-list Schedule, or brings an existing one up to date with the code's spec and
 * action; safe at every start.
 */
export async function ensureLateListSchedule(client: Client, opts: { taskQueue: string; scheduleId?: string }): Promise<void> {
  const options = lateListScheduleOptions(opts.taskQueue, opts.scheduleId);
  try {
    await client.schedule.create(options);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(options.scheduleId).update((previous) => ({
      ...previous, spec: options.spec, action: options.action, policies: { ...previous.policies, ...options.policies },
    }));
  }
}
