export { dossierWorkflow } from './dossier';
export { reconciliationWorkflow } from './reconciliation';
