export { dossierWorkflow } from './dossier';
export { lateListWorkflow } from './late-list';
export { reconciliationWorkflow } from './reconciliation';
