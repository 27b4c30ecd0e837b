/** Each publish-time check of the procedure compiler: a definition that fails it, with its path and message. */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { sampleProcedureFiles, shippedCompileContext } from '../../scripts/seed';
import { compile } from '../../domain/procedure/compile';
import type { CompileContext } from '../../domain/plan';
import { NOTIFICATION_TEMPLATES } from '../../domain/templates';

const ctx: CompileContext = {
  agencies: [{ code: 'UBND-XA-MY-BINH', units: ['MOT-CUA', 'TU-PHAP', 'LANH-DAO'] }, { code: 'CA-XA', units: ['MOT-CUA'] }],
  roles: ['one-stop-officer', 'specialist', 'leader'],
  templates: [...NOTIFICATION_TEMPLATES],
  procedures: ['1.001193', '2.000001'],
  procedureAgencies: { '1.001193': 'UBND-XA-MY-BINH', '2.000001': 'CA-XA' },
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

/** A handoff and a parallel with two branches, spliced in after the specialist's review. */
function withPartners(d: any) {
  d.steps[1].outcomes.approve.next = 'both';
  d.steps.splice(2, 0, { id: 'both', kind: 'parallel', next: 'sign', branches: [
    { steps: [{ id: 'hand', kind: 'handoff', to: { agency: 'CA-XA' }, procedure: '2.000001', outcomes: { done: {}, refused: { stop: true } } }] },
    { steps: [{ id: 'post', kind: 'wait', duration: { workingHours: 1 } }] },
  ] });
}

/** A decision between the review and the signature. */
function withDecision(d: any, when: unknown) {
  d.steps[1].outcomes.approve.next = 'route';
  d.steps.splice(2, 0, { id: 'route', kind: 'decision', cases: [{ when, next: 'sign' }], otherwise: 'sign' });
}

test.each([
  ['a handoff to an agency not in the registry', (d: any) => { withPartners(d); d.steps[2].branches[0].steps[0].to.agency = 'CA-KHONG-CO'; },
    '$.steps[2].branches[0].steps[0].to.agency', 'agency "CA-KHONG-CO" is not in the registry'],
  ['a handoff naming both a procedure and an endpoint', (d: any) => { withPartners(d); d.steps[2].branches[0].steps[0].endpoint = 'https://ca.example.vn/api'; },
    '$.steps[2].branches[0].steps[0]', 'exactly one of "procedure"'],
  ['a handoff that does not say what "refused" does', (d: any) => { withPartners(d); d.steps[2].branches[0].steps[0].outcomes = { done: {} }; },
    '$.steps[2].branches[0].steps[0].outcomes.refused', 'must say what "refused" does'],
  ['a handoff to an agency that does not own the partner procedure', (d: any) => { withPartners(d); d.steps[2].branches[0].steps[0].to.agency = 'UBND-XA-MY-BINH'; },
    '$.steps[2].branches[0].steps[0].to.agency', 'partner procedure "2.000001" belongs to CA-XA, not UBND-XA-MY-BINH'],
  ['a handoff to its own procedure', (d: any) => { withPartners(d); d.steps[2].branches[0].steps[0].procedure = '1.001193'; },
    '$.steps[2].branches[0].steps[0].procedure', 'cannot hand off to itself'],
  ['a duplicate id inside a branch', (d: any) => { withPartners(d); d.steps[2].branches[1].steps[0].id = 'review'; },
    '$.steps[2].branches[1].steps[0].id', 'step id "review" is used twice'],
  ['a branch step leading out of its branch', (d: any) => { withPartners(d); d.steps[2].branches[1].steps[0].next = 'sign'; },
    '$.steps[2].branches[1].steps[0].next', '"sign" is not a step of the same list'],
  ['a parallel with one branch', (d: any) => { withPartners(d); d.steps[2].branches.pop(); }, '$.steps[2].branches', 'must NOT have fewer than 2 items'],
  ['a notify to an unknown unit', (d: any) => { d.steps.splice(3, 0, { id: 'tell', kind: 'notify', template: 'result-ready', to: { unit: 'KE-TOAN', role: 'leader' }, channels: ['in-app'], next: 'give' }); d.steps[2].outcomes.approve.next = 'tell'; },
    '$.steps[3].to.unit', 'unit "KE-TOAN" is not a unit of UBND-XA-MY-BINH'],
  ['a notify to an unknown role', (d: any) => { d.steps.splice(3, 0, { id: 'tell', kind: 'notify', template: 'result-ready', to: { unit: 'LANH-DAO', role: 'boss' }, channels: ['in-app'], next: 'give' }); d.steps[2].outcomes.approve.next = 'tell'; },
    '$.steps[3].to.role', 'role "boss" does not exist'],
  ['an application form that does not compile', (d: any) => { d.applicationForm.properties.child.required = 'fullName'; },
    '$.applicationForm', 'is not a usable JSON Schema'],
  ['a decision with a dangling case', (d: any) => { withDecision(d, { '==': [1, 1] }); d.steps[2].cases[0].next = 'nowhere'; },
    '$.steps[2].cases[0].next', '"nowhere" is not a step of the same list'],
  ['a decision with a dangling otherwise', (d: any) => { withDecision(d, { '==': [1, 1] }); d.steps[2].otherwise = 'nowhere'; },
    '$.steps[2].otherwise', '"nowhere" is not a step of the same list'],
  ['a decision with an unknown JSON Logic operation', (d: any) => withDecision(d, { and: [{ equals: [{ var: 'application.child.gender' }, 'male'] }] }),
    '$.steps[2].cases[0].when.and[0].equals', '"equals" is not a JSON Logic operation'],
  ['a decision reading data the dossier does not have', (d: any) => withDecision(d, { '==': [{ var: 'child.gender' }, 'male'] }),
    "$.steps[2].cases[0].when['=='][0].var", 'reads "child.gender"'],
  ['a decision reading an unknown step', (d: any) => withDecision(d, { '!!': { var: 'steps.reviw.documentsComplete' } }),
    "$.steps[2].cases[0].when['!!'].var", '"reviw" is not a step'],
  ['a wait without a duration unit', (d: any) => { d.steps.splice(3, 0, { id: 'post', kind: 'wait', duration: { weeks: 2 }, next: 'give' }); d.steps[2].outcomes.approve.next = 'post'; },
    '$.steps[3].duration', 'must be exactly one of'],
  ['a duration that is not ISO-8601', (d: any) => { d.steps[0].deadline = { iso: '2 hours' }; }, '$.steps[0].deadline', 'must be exactly one of'],
  ['a before-return fee collected on one branch only', (d: any) => {
    d.fees = [{ code: 'LE-PHI', name: 'Lệ phí', amount: 8000, collect: 'before-return' }];
    d.steps[2].outcomes = { approve: { next: 'pay' }, exempt: { next: 'give' } };
    d.steps.splice(3, 0, { id: 'pay', kind: 'payment', fees: ['LE-PHI'], next: 'give' });
  }, '$.steps[4]', 'the result can be returned before fee LE-PHI'],
  ['a wait the law counts, over the legal time', (d: any) => { d.steps.splice(2, 0, { id: 'post', kind: 'wait', duration: { days: 1 }, next: 'sign' }); d.steps[1].outcomes.approve.next = 'post'; },
    '$.deadline', 'receive → review → post → sign → give add up to 16 working hours, more than the procedure\'s 8'],
  ['a clock-stopping wait inside a parallel branch', (d: any) => { withPartners(d); d.steps[2].branches[1].steps[0] = { id: 'post', kind: 'wait', duration: { days: 1 }, pausesClock: true }; },
    '$.steps[2].branches[1].steps[0].pausesClock', 'only a wait outside parallel branches can stop the legal clock'],
  ['step deadlines inside parallel branches over the legal time', (d: any) => { withPartners(d); d.steps[2].branches[0].steps[0].deadline = { workingDays: 2 }; },
    '$.deadline', 'receive → review → both → hand → sign → give add up to 24 working hours, more than the procedure\'s 8'],
])('%s', (_what, change, path, message) => {
  const problems = problemsOf(change);
  expect(problems).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringContaining(message) })]));
});

test('a wait that stops the legal clock does not use up the legal time', () => {
  const d = sample();
  d.steps.splice(2, 0, { id: 'post', kind: 'wait', duration: { days: 15 }, pausesClock: true, next: 'sign' });
  d.steps[1].outcomes.approve.next = 'post';
  const result = compile(d, ctx);
  expect(result.ok).toBe(true);
  if (result.ok) expect(result.plan.steps.post).toMatchObject({ kind: 'wait', pausesClock: true });
});

test('a fee collected in a parallel branch, and JSON Logic over item data and known steps, pass', () => {
  const d = sample();
  withPartners(d);
  d.fees = [{ code: 'LE-PHI', name: 'Lệ phí', amount: 8000, collect: 'before-return' }];
  d.steps[2].branches[1].steps[0] = { id: 'pay', kind: 'payment', fees: ['LE-PHI'] };
  d.steps[3].outcomes.approve.next = 'route';
  d.steps.splice(4, 0, { id: 'route', kind: 'decision', otherwise: 'give', cases: [{ next: 'give', when: { and: [
    { '!!': { var: 'steps.review.documentsComplete' } }, { some: [{ var: 'application.children' }, { '==': [{ var: 'gender' }, 'male'] }] }] } }] });
  const result = compile(d, ctx);
  expect(result.ok ? [] : result.problems).toEqual([]);
});

test('one schema mistake gives one problem, not a cascade', () => {
  expect(problemsOf((d) => { d.deadline = { weeks: 1 }; })).toEqual([{ path: '$.deadline', message: expect.stringContaining('exactly one of') }]);
  expect(problemsOf((d) => { d.steps[1].kind = 'teleport'; })).toHaveLength(1);
});

test('schema violations and reference problems are reported together, without echoes', () => {
  const problems = problemsOf((d) => {
    d.deadline = { weeks: 1 };
    d.steps[0].next = 'nowhere';
    d.steps[1].assignee.role = 'janitor';
    delete d.steps[2].outcomes;
    d.steps[2].form = { type: 'objekt' };
  });
  expect(problems.map((p) => p.path).sort()).toEqual(['$.deadline', '$.steps[0].next', '$.steps[1].assignee.role', '$.steps[2].form',
    '$.steps[2].outcomes']);
  expect(problems.find((p) => p.path === '$.steps[2].outcomes')?.message).toBe('is required');
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

describe('every sample procedure in procedures/', () => {
  const files = sampleProcedureFiles();
  const plans = files.map((f) => ({ file: basename(f), result: compile(JSON.parse(readFileSync(f, 'utf8')), shippedCompileContext()) }));

  test.each(plans.map((p) => [p.file, p.result] as const))('%s validates and compiles', (file, result) => {
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    expect(file.startsWith(`${result.plan.code}-`)).toBe(true);
  });

  test('at least seven real procedures that together use every step kind, and every partner is a sample', () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
    const steps = plans.flatMap((p) => (p.result.ok ? Object.values(p.result.plan.steps) : []));
    expect(new Set(steps.map((s) => s.kind))).toEqual(new Set(['reception', 'task', 'digitize', 'payment', 'handoff', 'parallel', 'decision',
      'wait', 'notify', 'return']));
    const codes = plans.map((p) => (p.result.ok ? p.result.plan.code : ''));
    for (const s of steps) if (s.kind === 'handoff') expect(codes).toContain(s.procedure);
  });
});

test.each([null, 42, 'text', [], {}, { steps: 'no' }, { code: 1, steps: [{}] }])('garbage %j gets problems, never an exception', (garbage) => {
  const result = compile(garbage, ctx);
  expect(result.ok).toBe(false);
});
