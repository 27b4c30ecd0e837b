/** `parallel`: every branch runs to its end; the step then goes on. Each branch counts as a running sequence. */
import type { ParallelStep } from '../../domain/plan';
import type { StepContext } from '../interpreter/context';

export async function parallel(step: ParallelStep, ctx: StepContext): Promise<string | null> {
  const { state } = ctx;
  state.running -= 1;
  state.running += step.branches.length;
  try {
    await Promise.all(step.branches.map(async (b) => {
      try {
        await ctx.runBranch(b.start);
      } finally {
        state.running -= 1;
      }
    }));
  } finally {
    state.running += 1;
  }
  return step.next;
}
