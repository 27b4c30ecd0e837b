/** `task`: an officer of the assignee's unit answers with one of the step's outcomes (and the form's data). */
import type { TaskStep } from '../../domain/plan';
import type { StepContext } from '../interpreter/context';

export async function task(step: TaskStep, ctx: StepContext): Promise<string | null> {
  await ctx.startProcessing(step);
  const effects = Object.fromEntries(Object.entries(step.outcomes).map(([name, e]) => [name, e.effect]));
  const completion = await ctx.humanTask(step, step.assignee, effects, step.form);
  ctx.state.data.steps[step.id] = completion.data ?? {};
  return ctx.applyEffect(step, step.outcomes[completion.outcome], completion);
}
