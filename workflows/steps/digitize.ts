/** `digitize`: the dossier's documents are scanned into the data store by the officer who received it. */
import type { DigitizeStep } from '../../domain/plan';
import { SYSTEM } from '../dossier-state';
import type { StepContext } from '../interpreter/context';

export async function digitize(step: DigitizeStep, ctx: StepContext): Promise<string | null> {
  const { input, state } = ctx;
  // the officer who received the dossier digitizes it (at the counter, the one who took it in)
  const actor = state.lastActor.username === SYSTEM.username && input.receivedBy ? input.receivedBy : state.lastActor;
  const result = await ctx.db.digitize({ dossierCode: ctx.dossierCode, stepId: step.id, documents: step.documents, actor });
  await ctx.record('digitized', { actor, stepId: step.id, data: result });
  return step.next;
}
