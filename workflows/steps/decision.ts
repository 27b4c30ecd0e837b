/** `decision`: the first case whose JsonLogic rule holds on the dossier's data picks the next step. */
import jsonLogic from 'json-logic-js';
import type { DecisionStep } from '../../domain/plan';
import type { StepContext } from '../interpreter/context';

export async function decision(step: DecisionStep, ctx: StepContext): Promise<string | null> {
  const match = step.cases.find((c) => Boolean(jsonLogic.apply(c.when as jsonLogic.RulesLogic, ctx.state.data)));
  return match ? match.next : step.otherwise;
}
