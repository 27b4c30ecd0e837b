import { describeDuration, describeLogic, planToDot } from '../../domain/diagram';
import type { Plan } from '../../domain/plan';
import { renderDiagram } from '../../api/services/diagram';

const plan: Plan = {
  planFormat: 1, code: '9.000001', version: 2, hash: 'h', name: 'Thủ tục thử', agency: 'A', serviceLevel: 'full-online',
  deadline: { workingDays: 5 }, fees: [], documents: [], returnChannels: ['electronic'], start: 'receive',
  steps: {
    receive: { id: 'receive', kind: 'reception', name: 'Tiếp nhận', assignee: { unit: 'MOT-CUA', role: 'one-stop-officer' }, next: 'both' },
    both: { id: 'both', kind: 'parallel', name: 'Thẩm định song song', next: 'sign', branches: [{ start: 'a' }, { start: 'post' }] },
    a: { id: 'a', kind: 'task', name: 'Thẩm định <A>', assignee: { unit: 'TP', role: 'specialist' }, next: null, deadline: { workingHours: 4 },
      outcomes: { ok: { effect: 'next', next: null }, missing: { effect: 'supplement' } } },
    post: { id: 'post', kind: 'wait', name: 'Niêm yết', duration: { days: 15 }, next: null },
    sign: { id: 'sign', kind: 'task', name: 'Ký duyệt', assignee: { unit: 'LD', role: 'leader' }, next: 'give',
      outcomes: { approve: { effect: 'next', next: 'give' }, rework: { effect: 'next', next: 'both' }, no: { effect: 'stop' } } },
    give: { id: 'give', kind: 'return', name: 'Trả kết quả', next: null },
  },
};

test('durations read as officers write them', () => {
  expect(describeDuration({ workingDays: 3 })).toBe('3 ngày làm việc');
  expect(describeDuration({ workingHours: 4 })).toBe('4 giờ làm việc');
  expect(describeDuration({ days: 15 })).toBe('15 ngày');
  expect(describeDuration({ iso: 'PT30S' })).toBe('PT30S');
});

test('the DOT names every step, who does it, its deadline, and every outcome', () => {
  const dot = planToDot(plan);
  for (const text of ['Tiếp nhận', 'Thẩm định &lt;A&gt;', 'TP / specialist', '4 giờ làm việc', 'chờ 15 ngày', 'Ký duyệt',
    'label="rework"', 'label="missing: bổ sung"', 'Dừng (8)', 'Từ chối (3)', 'Nhánh 1', 'Nhánh 2', 'Kết thúc']) {
    expect(dot).toContain(text);
  }
  expect(dot).toMatch(/"sign" -> "both" \[label="rework", constraint=false/);
});

test('Graphviz renders it to SVG', async () => {
  const svg = await renderDiagram(plan);
  expect(svg).toMatch(/^<\?xml|^<svg/);
  expect(svg).toContain('Ký duyệt');
  expect(svg).toContain('</svg>');
});

test('a decision reads as a sentence, not as JSON', () => {
  expect(describeLogic({ or: [{ '>=': [{ var: 'application.construction.floors' }, 7] }, { '>=': [{ var: 'application.construction.height' }, 25] }] }))
    .toBe('construction.floors ≥ 7 hoặc construction.height ≥ 25');
  expect(describeLogic({ and: [{ '!!': [{ var: 'application.child' }] }, { or: [{ '==': [{ var: 'steps.review.kind' }, 'A'] }, { '!': { var: 'x' } }] }] }))
    .toBe('có child và (steps.review.kind = "A" hoặc không có x)');
  expect(describeLogic({ some: [{ var: 'application.list' }, { '==': [{ var: '' }, 1] }] })).toBe('{"some":[{"var":"application.list"},{"==":[{"var":""},1]}]}');
  const dot = planToDot({ ...plan, steps: { ...plan.steps,
    receive: { ...plan.steps.receive, next: 'route' } as Plan['steps'][string],
    route: { id: 'route', kind: 'decision', name: 'Cao tầng?', next: null, otherwise: 'both',
      cases: [{ when: { '>=': [{ var: 'application.construction.floors' }, 7] }, next: 'sign' }] } } });
  expect(dot).toContain('"route" -> "sign" [label="construction.floors ≥ 7"]');
  expect(dot).toContain('"route" -> "both" [label="ngược lại", style=dashed]');
});
