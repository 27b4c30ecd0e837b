import { createDossierActivities, type ActivityDeps as CoreDeps } from './dossier-activities';
import { createDocumentActivities, type DocumentActivityDeps } from './documents';
import type { DocumentActivities } from './documents-types';
import { createStepActivities } from './step-activities';
import type { DossierActivities } from './types';

export type ActivityDeps = CoreDeps & DocumentActivityDeps;
export type Activities = DossierActivities & DocumentActivities;

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps): Activities {
  // digitize comes from the document activities (file store, data store), which supersede the step activities' one
  return { ...createDossierActivities(deps), ...createStepActivities(deps), ...createDocumentActivities(deps) };
}
