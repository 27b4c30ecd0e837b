import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { DossierStatusCode } from '../../domain/status';
import { observeDossierUpdate, type DossierView } from '../../workflows/messages';

/**
 * The dossier once its run has settled after a message (a signal just sent): its view, or, when the message
 * ended the run before the question reached it (a last fee paid, a delivery reported), how the run ended.
 */
export async function settledView(handle: WorkflowHandle): Promise<Pick<DossierView, 'status'> & Partial<DossierView>> {
  try {
    return await handle.executeUpdate(observeDossierUpdate);
  } catch (err) {
    // observeDossier has no validator: it fails only when the run has closed (not found, or closed under it)
    if (!(err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError)) throw err;
    const ended = await handle.result() as { status: DossierStatusCode };
    return { status: ended.status };
  }
}
