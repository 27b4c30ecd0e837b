/**
 * The monthly list of late agencies, units and officers: started by the `late-list-monthly` Schedule
 * at 00:30 on the 1st (Asia/Ho_Chi_Minh) for the month just ended, or by ops for a given month.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { LateListSummary, ReportActivities } from '../activities/reports';
import { previousMonth } from '../domain/reports';

const { produceLateList } = proxyActivities<ReportActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 10, initialInterval: '10 seconds' },
});

export interface LateListInput {
  /** YYYY-MM; the month before the run's start (in Asia/Ho_Chi_Minh) when absent */
  month?: string;
  /** who asked for it; `schedule` for the monthly run */
  producedBy?: string;
}

export async function lateListWorkflow(input: LateListInput = {}): Promise<LateListSummary> {
  const month = input.month ?? previousMonth(workflowInfo().runStartTime.toISOString());
  return produceLateList({ month, producedBy: input.producedBy ?? 'schedule' });
}
