import { ApplicationFailure } from '@temporalio/common';
import { createReportStore } from '../stores/reports-store';
import type { ActivityDeps } from './dossier-activities';

/** What a late-list run produced: the month and how many entries each list has. */
export interface LateListSummary {
  month: string;
  agencies: number;
  units: number;
  officers: number;
}

/** Activities of the reporting workflows (the monthly late list). */
export interface ReportActivities {
  /** Computes and keeps the list of agencies, units and officers late in `month` (YYYY-MM); a rerun replaces it. */
  produceLateList(input: { month: string; producedBy: string }): Promise<LateListSummary>;
}

export function createReportActivities({ db, calendarFor }: ActivityDeps): ReportActivities {
  const store = createReportStore(db, calendarFor);
  return {
    async produceLateList({ month, producedBy }) {
      try {
        const list = await store.produceLateList(month, producedBy);
        return { month, agencies: list.agencies.length, units: list.units.length, officers: list.officers.length };
      } catch (err) {
        if (err instanceof RangeError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidMonthError');
        throw err;
      }
    },
  };
}
