import type { Viz } from '@viz-js/viz' with { 'resolution-mode': 'import' };
import { planToDot } from '../../domain/diagram';
import type { Plan } from '../../domain/plan';

let viz: Promise<Viz> | undefined;

/** The plan's diagram as SVG, laid out by Graphviz (compiled to WebAssembly, shipped in the package). */
export async function renderDiagram(plan: Plan): Promise<string> {
  viz ??= import('@viz-js/viz').then((m) => m.instance());
  return (await viz).renderString(planToDot(plan), { format: 'svg', engine: 'dot' });
}
