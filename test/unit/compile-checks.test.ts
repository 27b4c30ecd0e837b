/** Each publish-time check of the procedure compiler: a definition that fails it, with its path and message. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../../domain/procedure/compile';
import type { CompileContext } from '../../domain/plan';
import { NOTIFICATION_TEMPLATES } from '../../domain/templates';

const ctx: CompileContext = {
  agencies: [{ code: 'UBND-XA-MY-BINH', units: ['MOT-CUA', 'TU-PHAP', 'LANH-DAO'] }, { code: 'CA-XA', units: ['MOT-CUA'] }],
  roles: ['one-stop-officer', 'specialist', 'leader'],
  templates: [...NOTIFICATION_TEMPLATES],
  procedures: ['1.001193', '2.000001'],
};

const sample = () => JSON.parse(readFileSync(join(__dirname, '..', '..', 'procedures', '1.001193-dang-ky-khai-sinh.json'), 'utf8'));

function problemsOf(change: (d: any) => void) {
  const d = sample();
  change(d);
  const result = compile(d, ctx);
  if (result.ok) throw new Error('expected problems, the definition compiled');
  return result.problems;
}

test('the birth registration sample compiles to a plan', () => {
  const result = compile(sample(), ctx);
  expect(result.ok).toBe(true);
  if (!result.ok) return;
  expect(result.plan).toMatchObject({ planFormat: 1, code: '1.001193', start: 'receive', agency: 'UBND-XA-MY-BINH' });
  expect(result.plan.steps.review).toMatchObject({ kind: 'task', outcomes: { approve: { effect: 'next', next: 'sign' },
    missing: { effect: 'supplement' }, ineligible: { effect: 'stop' } } });
  expect(result.plan.hash).toMatch(/^[0-9a-f]{64}$/);
  expect(compile(sample(), ctx)).toEqual(result);
});

test.each([
  ['a schema violation', (d: any) => { d.version = 0; }, '$.version', 'must be >= 1'],
  ['an unknown step kind', (d: any) => { d.steps[1].kind = 'teleport'; }, '$.steps[1].kind', '"teleport" is not a step kind'],
  ['a missing kind-specific field', (d: any) => { delete d.steps[1].assignee; }, '$.steps[1].assignee', 'is required'],
  ['a field another kind has', (d: any) => { d.steps[0].fees = ['X']; }, '$.steps[0].fees', 'is not a field here'],
  ['a duration with two units', (d: any) => { d.deadline = { workingDays: 1, days: 2 }; }, '$.deadline', 'must be exactly one of'],
  ['a malformed outcome', (d: any) => { d.steps[1].outcomes.approve = { next: 'sign', stop: true }; }, '$.steps[1].outcomes.approve', 'must be {}'],
  ['a duplicate step id', (d: any) => { d.steps[2].id = 'review'; }, '$.steps[2].id', 'used twice'],
  ['a dangling next', (d: any) => { d.steps[0].next = 'nowhere'; }, '$.steps[0].next', '"nowhere" is not a step'],
  ['a dangling outcome target', (d: any) => { d.steps[2].outcomes.rework.next = 'gone'; }, '$.steps[2].outcomes.rework.next', '"gone"'],
  ['an unknown agency', (d: any) => { d.agency = 'UBND-KHONG-CO'; }, '$.agency', 'not in the registry'],
  ['an unknown unit', (d: any) => { d.steps[1].assignee.unit = 'KE-TOAN'; }, '$.steps[1].assignee.unit', 'not a unit of UBND-XA-MY-BINH'],
  ['an unknown role', (d: any) => { d.steps[1].assignee.role = 'janitor'; }, '$.steps[1].assignee.role', 'role "janitor" does not exist'],
  ['an unknown fee', (d: any) => { d.steps.splice(3, 0, { id: 'pay', kind: 'payment', fees: ['PHI-X'], next: 'give' }); d.steps[2].outcomes.approve.next = 'pay'; },
    '$.steps[3].fees[0]', 'fee "PHI-X" is not among'],
  ['an unknown document', (d: any) => { d.steps.splice(1, 0, { id: 'scan', kind: 'digitize', documents: ['CMND'], next: 'review' }); d.steps[0].next = 'scan'; },
    '$.steps[1].documents[0]', 'document "CMND" is not among'],
  ['an unknown template', (d: any) => { d.steps.splice(3, 0, { id: 'tell', kind: 'notify', template: 'hello', to: 'applicant', channels: ['sms'], next: 'give' }); d.steps[2].outcomes.approve.next = 'tell'; },
    '$.steps[3].template', 'template "hello" does not exist'],
  ['an unknown partner procedure', (d: any) => { d.steps.splice(3, 0, { id: 'hand', kind: 'handoff', to: { agency: 'CA-XA' }, procedure: '9.999999', outcomes: { done: {}, refused: { stop: true } }, next: 'give' }); d.steps[2].outcomes.approve.next = 'hand'; },
    '$.steps[3].procedure', 'partner procedure "9.999999" is not published'],
  ['a form schema that does not compile', (d: any) => { d.steps[1].form = { type: 'object', properties: { x: { type: 'strnig' } } }; },
    '$.steps[1].form', 'is not a usable JSON Schema'],
  ['an unreachable step', (d: any) => { d.steps.push({ id: 'orphan', kind: 'wait', duration: { days: 1 } }); }, '$.steps[4]', 'never reached'],
  ['a path that never ends', (d: any) => { d.steps[2].outcomes = { approve: { next: 'review' } }; d.steps[1].outcomes = { approve: { next: 'sign' } }; },
    '$.steps[1]', 'loops forever'],
  ['a return before a before-return fee', (d: any) => { d.fees = [{ code: 'LE-PHI', name: 'Lệ phí', amount: 8000, collect: 'before-return' }]; },
    '$.steps[3]', 'before fee LE-PHI'],
  ['step deadlines over the legal time', (d: any) => { d.steps[1].deadline = { workingDays: 2 }; }, '$.deadline', 'more than the procedure'],
])('%s', (_what, change, path, message) => {
  const problems = problemsOf(change);
  expect(problems).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringContaining(message) })]));
});

test('one schema mistake gives one problem, not a cascade', () => {
  expect(problemsOf((d) => { d.deadline = { weeks: 1 }; })).toEqual([{ path: '$.deadline', message: expect.stringContaining('exactly one of') }]);
  expect(problemsOf((d) => { d.steps[1].kind = 'teleport'; })).toHaveLength(1);
});

test('several mistakes are all reported at once', () => {
  const problems = problemsOf((d) => {
    d.steps[1].assignee.unit = 'KE-TOAN';
    d.steps[1].assignee.role = 'janitor';
    d.steps[2].outcomes.rework.next = 'gone';
    d.agency = 'UBND-KHONG-CO';
  });
  expect(problems.map((p) => p.path).sort()).toEqual(['$.agency', '$.steps[1].assignee.role', '$.steps[2].outcomes.rework.next']);
});

test.each([null, 42, 'text', [], {}, { steps: 'no' }, { code: 1, steps: [{}] }])('garbage %j gets problems, never an exception', (garbage) => {
  const result = compile(garbage, ctx);
  expect(result.ok).toBe(false);
});
