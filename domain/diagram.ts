/**
 * A procedure's process as a Graphviz DOT graph, for a person to read: every step with who does it
 * and its deadline, the branches, the outcomes and where the dossier ends. Pure: rendering the DOT
 * to SVG happens in the API.
 */
import type { Duration, OutcomeEffect, Plan, PlanStep } from './plan';

const KIND_LABELS: Record<PlanStep['kind'], string> = {
  reception: 'Tiếp nhận',
  task: 'Xử lý',
  digitize: 'Số hóa',
  payment: 'Thu phí',
  handoff: 'Liên thông',
  parallel: 'Song song',
  decision: 'Rẽ nhánh',
  wait: 'Chờ',
  notify: 'Thông báo',
  return: 'Trả kết quả',
};

const COLORS: Record<PlanStep['kind'], string> = {
  reception: '#dbeafe', task: '#fef9c3', digitize: '#e0e7ff', payment: '#fce7f3', handoff: '#ede9fe',
  parallel: '#f1f5f9', decision: '#ffedd5', wait: '#f1f5f9', notify: '#ecfccb', return: '#dcfce7',
};

/** A duration as Vietnamese officers write it. */
export function describeDuration(d: Duration): string {
  if ('workingDays' in d) return `${d.workingDays} ngày làm việc`;
  if ('workingHours' in d) return `${d.workingHours} giờ làm việc`;
  if ('days' in d) return `${d.days} ngày`;
  return d.iso;
}

const COMPARISONS: Record<string, string> = { '==': '=', '===': '=', '!=': '≠', '!==': '≠', '>': '>', '>=': '≥', '<': '<', '<=': '≤', in: '∈' };

/** A decision's JSON Logic as a person reads it, e.g. `construction.floors ≥ 7 hoặc construction.height ≥ 25`. */
export function describeLogic(expr: unknown): string {
  if (expr === null || typeof expr !== 'object') return typeof expr === 'string' ? `"${expr}"` : String(expr);
  if (Array.isArray(expr)) return `[${expr.map(describeLogic).join(', ')}]`;
  const [op, ...rest] = Object.keys(expr);
  if (!op || rest.length) return JSON.stringify(expr);
  const raw = (expr as Record<string, unknown>)[op];
  const args = Array.isArray(raw) ? raw : [raw];
  if (op === 'var') return String(args[0] ?? '').replace(/^application\./, '');
  if (COMPARISONS[op] && args.length === 2) return `${describeLogic(args[0])} ${COMPARISONS[op]} ${describeLogic(args[1])}`;
  if (op === '!!' && args.length === 1) return `có ${describeLogic(args[0])}`;
  if (op === '!' && args.length === 1) return `không có ${describeLogic(args[0])}`;
  if (op === 'and' || op === 'or') return args.map((a) => {
    const text = describeLogic(a);
    return typeof a === 'object' && a && ['and', 'or'].includes(Object.keys(a)[0]) ? `(${text})` : text;
  }).join(op === 'and' ? ' và ' : ' hoặc ');
  return JSON.stringify(expr);
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const id = (s: string) => `"${s.replace(/"/g, '\\"')}"`;

function shorten(text: string, max = 48): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function stepLabel(step: PlanStep): string {
  const rows = [`<b>${esc(step.name)}</b>`, `<font point-size="9">${esc(KIND_LABELS[step.kind])} · ${esc(step.id)}</font>`];
  if ((step.kind === 'reception' || step.kind === 'task')) rows.push(`${esc(step.assignee.unit)} / ${esc(step.assignee.role)}`);
  if (step.kind === 'handoff') rows.push(`→ ${esc(step.to.agency)}${step.procedure ? ` (${esc(step.procedure)})` : ''}`);
  if (step.kind === 'payment') rows.push(`phí: ${esc(step.fees.join(', '))}`);
  if (step.kind === 'wait') rows.push(`chờ ${esc(describeDuration(step.duration))}`);
  if (step.kind === 'notify') rows.push(`mẫu ${esc(step.template)} → ${esc(typeof step.to === 'string' ? 'người nộp' : `${step.to.unit}/${step.to.role}`)}`);
  if (step.deadline) rows.push(`<font color="#b91c1c">hạn: ${esc(describeDuration(step.deadline))}</font>`);
  return `<${rows.join('<br/>')}>`;
}

/** The DOT source of a plan's diagram. */
export function planToDot(plan: Plan): string {
  const lines: string[] = [];
  // edges go after every node: an edge written inside a cluster would pull its ends into the cluster
  const edges: string[] = [];
  const out = (line: string) => lines.push(line);
  const ends = new Set<string>();
  const endNode = (key: string, label: string, color: string) => {
    if (!ends.has(key)) {
      ends.add(key);
      out(`  ${id(key)} [label=${id(label)}, shape=ellipse, peripheries=2, style=filled, fillcolor="${color}", fontsize=10];`);
    }
    return key;
  };
  const edge = (from: string, to: string, attrs: Record<string, string> = {}) => {
    const list = Object.entries(attrs).map(([k, v]) => `${k}=${k === 'label' ? id(v) : v}`).join(', ');
    edges.push(`  ${id(from)} -> ${id(to)}${list ? ` [${list}]` : ''};`);
  };
  const visited = new Set<string>();

  function outcomeEdges(step: PlanStep, outcomes: Record<string, OutcomeEffect>, after: string) {
    for (const [name, effect] of Object.entries(outcomes)) {
      if (effect.effect === 'next') {
        const target = effect.next ?? after;
        // a loop back (rework) must not pull the earlier step below this one
        edge(step.id, target, visited.has(target) ? { label: name, constraint: 'false', color: '"#1d4ed8"' } : { label: name });
      }
      else if (effect.effect === 'supplement') edge(step.id, step.id, { label: `${name}: bổ sung`, style: 'dashed', color: '"#92400e"' });
      else edge(step.id, endNode('__stop', 'Dừng (8)', '#fecaca'), { label: name, color: '"#b91c1c"' });
    }
  }

  /** Draws the steps reachable from `start` in one list; a step without `next` flows into `after`. */
  function walk(start: string | null, after: string) {
    const queue = start ? [start] : [];
    while (queue.length) {
      const sid = queue.shift() as string;
      if (visited.has(sid)) continue;
      visited.add(sid);
      const step = plan.steps[sid];
      if (!step) continue;
      const follow = (target: string | null) => { if (target) queue.push(target); return target ?? after; };
      const shape = step.kind === 'decision' ? 'diamond' : 'box';
      out(`  ${id(step.id)} [label=${stepLabel(step)}, shape=${shape}, style="rounded,filled", fillcolor="${COLORS[step.kind]}"];`);
      switch (step.kind) {
        case 'reception':
          edge(step.id, follow(step.next), { label: 'accept' });
          edge(step.id, step.id, { label: 'supplement: bổ sung', style: 'dashed', color: '"#92400e"' });
          edge(step.id, endNode('__refused', 'Từ chối (3)', '#fecaca'), { label: 'refuse', color: '"#b91c1c"' });
          break;
        case 'task':
        case 'handoff':
          for (const e of Object.values(step.outcomes)) if (e.effect === 'next' && e.next) queue.push(e.next);
          outcomeEdges(step, step.outcomes, step.next ?? after);
          break;
        case 'decision':
          step.cases.forEach((c) => edge(step.id, follow(c.next), { label: shorten(describeLogic(c.when), 64) }));
          edge(step.id, follow(step.otherwise), { label: 'ngược lại', style: 'dashed' });
          break;
        case 'parallel': {
          const join = `${step.id}__join`;
          out(`  ${id(join)} [label="", shape=box, style=filled, fillcolor=black, height=0.06, width=1.5];`);
          step.branches.forEach((b, i) => {
            out(`  subgraph ${id(`cluster_${step.id}_${i}`)} {`);
            out(`  label=${id(`Nhánh ${i + 1}`)}; style=dashed; color="#94a3b8"; fontsize=10;`);
            if (b.start) walk(b.start, join);
            out('  }');
            edge(step.id, b.start ?? join);
          });
          edge(join, follow(step.next));
          break;
        }
        default:
          edge(step.id, follow(step.next));
      }
    }
  }

  out('digraph procedure {');
  out(`  graph [rankdir=TB, pad=0.4, fontname="Helvetica", labelloc=t, fontsize=14, label=${id(`${plan.name} (${plan.code} v${plan.version}) — thời hạn ${describeDuration(plan.deadline)}`)}];`);
  out('  node [fontname="Helvetica", fontsize=11, margin="0.15,0.08"];');
  out('  edge [fontname="Helvetica", fontsize=9, color="#475569"];');
  out('  "__start" [label="Nộp hồ sơ", shape=ellipse, style=filled, fillcolor="#bbf7d0", fontsize=10];');
  const done = endNode('__done', 'Kết thúc', '#bbf7d0');
  edge('__start', plan.start);
  walk(plan.start, done);
  lines.push(...edges, '}');
  return lines.join('\n');
}
