import { createDossierActivities, type ActivityDeps } from './dossier-activities';
import { createReportActivities, type ReportActivities } from './reports';
import { createStepActivities } from './step-activities';
import type { DossierActivities } from './types';

export type { ActivityDeps };
export type Activities = DossierActivities & ReportActivities;

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps): Activities {
  return { ...createDossierActivities(deps), ...createStepActivities(deps), ...createReportActivities(deps) };
}
