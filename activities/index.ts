import { createDossierActivities, type ActivityDeps } from './dossier-activities';
import { createNotificationActivities } from './notifications';
import { createStepActivities } from './step-activities';
import type { DossierActivities } from './types';

export type { ActivityDeps };
export type Activities = DossierActivities;

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps): Activities {
  return { ...createDossierActivities(deps), ...createStepActivities(deps), ...createNotificationActivities(deps) };
}
