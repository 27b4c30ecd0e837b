/**
 * The daily payment reconciliation: compares a day's paid online payments with the provider's
 * statement and stores the report. Started each day by a Temporal Schedule (lib/schedules/), or on
 * demand by `GET /api/reconciliation`.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { PaymentActivities, ReconciliationSummary } from '../activities/payments';

const payments = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes', maximumAttempts: 20 },
});

const VIETNAM_OFFSET_MS = 7 * 3600_000;

/** The day before the run's start, in Vietnam (UTC+7, no daylight saving). */
function yesterdayInVietnam(): string {
  return new Date(Date.now() + VIETNAM_OFFSET_MS - 86_400_000).toISOString().slice(0, 10);
}

export async function reconciliationWorkflow(input: { date?: string } = {}): Promise<ReconciliationSummary> {
  return payments.reconcilePayments({ date: input.date ?? yesterdayInVietnam() });
}
