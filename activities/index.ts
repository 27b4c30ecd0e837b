import type { Integrations } from '../lib/integrations';
import { createLocalPaymentProvider } from '../lib/payments/local-provider';
import { createDossierActivities, type ActivityDeps as CoreDeps } from './dossier-activities';
import { createDocumentActivities, type DocumentActivityDeps } from './documents';
import type { DocumentActivities } from './documents-types';
import { createHandoffActivities, type HandoffActivities } from './handoffs';
import { createNotificationActivities } from './notifications';
import { createPaymentActivities, type PaymentActivities } from './payments';
import { createReportActivities, type ReportActivities } from './reports';
import { createStepActivities } from './step-activities';
import type { DossierActivities } from './types';

export type ActivityDeps = CoreDeps & DocumentActivityDeps & {
  /** signed HTTP to the payment provider and partner agencies; without it, handoffs to external partners fail */
  integrations?: Integrations;
};
export type Activities = DossierActivities & DocumentActivities & PaymentActivities & HandoffActivities & ReportActivities;

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps): Activities {
  const provider = createLocalPaymentProvider({ db: deps.db, publicUrl: deps.integrations?.publicUrl ?? '' });
  return {
    ...createDossierActivities(deps), ...createStepActivities(deps),
    // digitize comes from the document activities (file store, data store), which supersede the step activities' one
    ...createDocumentActivities(deps),
    ...createPaymentActivities({ db: deps.db, provider }), ...createHandoffActivities(deps),
    ...createReportActivities(deps), ...createNotificationActivities(deps),
  };
}
