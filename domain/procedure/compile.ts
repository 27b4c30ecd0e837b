/**
 * compile(definition) → plan: validates a procedure definition against the JSON Schema and the
 * platform's registry, reporting every problem with its JSONPath, and normalises it into a Plan.
 */
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { createHash } from 'node:crypto';
import schema from '../../procedures/schema/procedure.schema.json';
import type { CompileContext, Duration, OutcomeEffect, Plan, PlanStep, Problem } from '../plan';

const ajv = addFormats(new Ajv2020({ allErrors: true, strict: false, discriminator: true }));
const validate = ajv.compile(schema);

const DEFAULT_NAMES: Record<string, string> = {
  reception: 'Tiếp nhận hồ sơ', task: 'Xử lý', digitize: 'Số hóa hồ sơ', payment: 'Thu phí, lệ phí', handoff: 'Liên thông',
  parallel: 'Xử lý song song', decision: 'Rẽ nhánh', wait: 'Chờ', notify: 'Thông báo', return: 'Trả kết quả',
};

function pointerToPath(pointer: string): string {
  return '$' + pointer.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('');
}

const STEP_KINDS = ['reception', 'task', 'digitize', 'payment', 'handoff', 'parallel', 'decision', 'wait', 'notify', 'return'];
const ONE_OF_MESSAGES: Record<string, string> = {
  duration: 'must be exactly one of {"workingDays": n}, {"workingHours": n}, {"days": n}, {"iso": "P…"}',
  outcome: 'must be {}, {"next": "<step id>"}, {"supplement": true} or {"stop": true}',
};

/** Ajv's errors as a designer reads them: one problem per mistake, at the field it is about. */
function schemaProblems(errors: ErrorObject[]): Problem[] {
  const problems = new Map<string, Problem>();
  const add = (path: string, message: string) => problems.set(`${path}|${message}`, { path, message });
  for (const e of errors) {
    const path = pointerToPath(e.instancePath);
    const oneOf = /#\/\$defs\/(duration|outcome)\//.exec(e.schemaPath);
    if (oneOf) {
      add(path, ONE_OF_MESSAGES[oneOf[1]]);
    } else if (e.keyword === 'discriminator') {
      const tag = (e.params as { tagValue?: unknown }).tagValue;
      add(`${path}.kind`, tag === undefined ? 'is required' : `${JSON.stringify(tag)} is not a step kind (${STEP_KINDS.join(', ')})`);
    } else if (e.keyword === 'required') {
      add(`${path}.${(e.params as { missingProperty: string }).missingProperty}`, 'is required');
    } else if (e.keyword === 'additionalProperties') {
      add(`${path}.${(e.params as { additionalProperty: string }).additionalProperty}`, 'is not a field here');
    } else if (e.keyword === 'enum') {
      add(path, `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`);
    } else if (e.keyword !== 'oneOf' && e.keyword !== 'if') {
      add(path, e.message ?? 'is invalid');
    }
  }
  return [...problems.values()];
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

type RawStep = Record<string, any>;

const schemaChecker = addFormats(new Ajv2020({ allErrors: true, strict: false }));

/** A form schema that ajv cannot compile is reported where it is written. */
function checkSchema(schema: unknown, path: string, problems: Problem[]) {
  try {
    schemaChecker.compile(schema as object);
  } catch (err) {
    problems.push({ path, message: `is not a usable JSON Schema: ${(err as Error).message}` });
  }
}

/** The operations json-logic-js knows; anything else fails when the decision runs. */
const LOGIC_OPERATIONS = new Set(['==', '===', '!=', '!==', '>', '>=', '<', '<=', '!!', '!', '%', 'log', 'in', 'cat', 'substr', '+', '*',
  '-', '/', 'min', 'max', 'merge', 'var', 'missing', 'missing_some', 'if', '?:', 'and', 'or', 'filter', 'map', 'reduce', 'all', 'none',
  'some']);
/** Operations whose later arguments read each array item, not the dossier's data. */
const ITEM_SCOPED = new Set(['filter', 'map', 'reduce', 'all', 'none', 'some']);

/**
 * A decision's JSON Logic: every operation must exist, and every `var` must read the dossier's data,
 * `application.…` or `steps.<a step id>.…`, so a typo is caught at publish time, not by a dossier.
 */
function logicProblems(expr: unknown, path: string, stepIds: Set<string>, itemScope = false): Problem[] {
  if (Array.isArray(expr)) return expr.flatMap((e, i) => logicProblems(e, `${path}[${i}]`, stepIds, itemScope));
  if (!expr || typeof expr !== 'object') return [];
  const keys = Object.keys(expr);
  if (keys.length !== 1) return [{ path, message: `a JSON Logic operation has exactly one key (the operator), not ${keys.length}` }];
  const op = keys[0];
  const args = (expr as Record<string, unknown>)[op];
  const at = /^[A-Za-z_$][\w$]*$/.test(op) ? `${path}.${op}` : `${path}['${op}']`;
  if (!LOGIC_OPERATIONS.has(op)) return [{ path: at, message: `"${op}" is not a JSON Logic operation` }];
  if (op === 'var') {
    const name = Array.isArray(args) ? args[0] : args;
    if (itemScope || typeof name !== 'string' || name === '') return [];
    const [root, stepId] = name.split('.');
    if (root !== 'application' && root !== 'steps') {
      return [{ path: at, message: `reads "${name}": the data is "application.…" (the applicant's form) or "steps.<step id>.…"` }];
    }
    if (root === 'steps' && stepId && !stepIds.has(stepId)) return [{ path: at, message: `reads "${name}", but "${stepId}" is not a step` }];
    return [];
  }
  const list = Array.isArray(args) ? args : [args];
  return list.flatMap((a, i) => logicProblems(a, Array.isArray(args) ? `${at}[${i}]` : at, stepIds, itemScope || (ITEM_SCOPED.has(op) && i > 0)));
}

/** Where the flow goes from a step: its successors within its own list, or `null` for "ends here". */
function successors(step: PlanStep): (string | null)[] {
  switch (step.kind) {
    case 'reception':
      return [step.next];
    case 'task':
    case 'handoff':
      return Object.values(step.outcomes).map((o) => (o.effect === 'next' ? o.next : o.effect === 'supplement' ? step.id : 'STOP'))
        .filter((t) => t !== 'STOP') as (string | null)[];
    case 'decision':
      return [...step.cases.map((c) => c.next), step.otherwise];
    default:
      return [step.next];
  }
}

const HOURS: Record<string, number> = { workingDays: 8, workingHours: 1, days: 8 };

/** A duration in working hours, for the deadline budget; calendar days count as working days here. */
function hoursOf(d: Duration | undefined): number {
  if (!d) return 0;
  const [unit, value] = Object.entries(d)[0] as [string, number | string];
  if (unit === 'iso') {
    const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(String(value));
    return m ? Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0) + Number(m[3] ?? 0) / 60 + Number(m[4] ?? 0) / 3600 : 0;
  }
  return Number(value) * (HOURS[unit] ?? 0);
}

/** Reachability, endless paths, fees before the result, and the deadline budget along the longest path. */
function flowProblems(plan: Plan, paths: Record<string, string>): Problem[] {
  const problems: Problem[] = [];
  const reached = new Set<string>();
  const visit = (id: string | null) => {
    if (!id || reached.has(id)) return;
    reached.add(id);
    const step = plan.steps[id];
    if (step.kind === 'parallel') step.branches.forEach((b) => visit(b.start));
    successors(step).forEach(visit);
  };
  visit(plan.start);
  for (const id of Object.keys(plan.steps)) {
    if (!reached.has(id)) problems.push({ path: `${paths[id]}`, message: `step "${id}" is never reached from the first step` });
  }

  // a step "can end" when some path from it reaches the end of its list (or a stop/refusal)
  const canEnd = new Set<string>();
  let changed = true;
  while (changed) {
    changed = false;
    for (const step of Object.values(plan.steps)) {
      if (canEnd.has(step.id)) continue;
      const stops = step.kind === 'reception' || ((step.kind === 'task' || step.kind === 'handoff') && Object.values(step.outcomes).some((o) => o.effect === 'stop'));
      if (stops || successors(step).some((t) => t === null || canEnd.has(t))) {
        canEnd.add(step.id);
        changed = true;
      }
    }
  }
  for (const id of reached) {
    if (!canEnd.has(id)) problems.push({ path: `${paths[id]}`, message: `every path from step "${id}" loops forever: nothing leads to the end` });
  }

  const beforeReturn = plan.fees.filter((f) => f.collect === 'before-return').map((f) => f.code);
  if (beforeReturn.length) {
    // fees surely collected on entering each step: the intersection over every way in
    const collected: Record<string, Set<string> | undefined> = {};
    const feesOf = (step: PlanStep): string[] => step.kind === 'payment' ? step.fees
      : step.kind === 'parallel' ? step.branches.flatMap((b) => branchFees(b.start)) : [];
    const branchFees = (start: string | null): string[] => {
      const seen = new Set<string>();
      const out: string[] = [];
      const walk = (id: string | null) => {
        if (!id || seen.has(id)) return;
        seen.add(id);
        out.push(...feesOf(plan.steps[id]));
        successors(plan.steps[id]).forEach(walk);
      };
      walk(start);
      return out;
    };
    const queue: [string, Set<string>][] = [[plan.start, new Set()]];
    while (queue.length) {
      const [id, entering] = queue.shift()!;
      const before = collected[id];
      const next = before ? new Set([...before].filter((f) => entering.has(f))) : new Set(entering);
      if (before && before.size === next.size) continue;
      collected[id] = next;
      const step = plan.steps[id];
      const leaving = new Set([...next, ...(step.kind === 'payment' ? step.fees : [])]);
      if (step.kind === 'parallel') step.branches.forEach((b) => b.start && queue.push([b.start, leaving]));
      const after = step.kind === 'parallel' ? new Set([...leaving, ...feesOf(step)]) : leaving;
      for (const t of successors(step)) if (t) queue.push([t, after]);
    }
    for (const step of Object.values(plan.steps)) {
      if (step.kind !== 'return' || !collected[step.id]) continue;
      const missing = beforeReturn.filter((f) => !collected[step.id]!.has(f));
      if (missing.length) problems.push({ path: `${paths[step.id]}`, message: `the result can be returned before fee ${missing.join(', ')} (collect: before-return) is paid: put a payment step on every path before it` });
    }
  }

  // the longest path's step deadlines (and counted waits) must fit in the legal time (rework loops are not counted)
  const longest = (start: string | null, onPath: Set<string>): { hours: number; via: string[] } => {
    if (!start || onPath.has(start)) return { hours: 0, via: [] };
    const step = plan.steps[start];
    onPath.add(start);
    let own = hoursOf(step.deadline);
    // a wait the law counts uses up legal time; one that stops the clock does not
    if (step.kind === 'wait' && !step.pausesClock) own = Math.max(own, hoursOf(step.duration));
    const via = [start];
    if (step.kind === 'parallel') {
      const branch = step.branches.map((b) => longest(b.start, onPath)).sort((a, b) => b.hours - a.hours)[0];
      if (branch) { own += branch.hours; via.push(...branch.via); }
    }
    const best = successors(step).map((t) => longest(t, onPath)).sort((a, b) => b.hours - a.hours)[0] ?? { hours: 0, via: [] };
    onPath.delete(start);
    return { hours: own + best.hours, via: [...via, ...best.via] };
  };
  const budget = longest(plan.start, new Set());
  const legal = hoursOf(plan.deadline);
  if (budget.hours > legal + 1e-9) {
    problems.push({ path: '$.deadline', message: `the step deadlines along ${budget.via.join(' → ')} add up to ${budget.hours} working hours, more than the procedure's ${legal}` });
  }
  return problems;
}

/** Whether a problem at `inner` is inside the value a problem at `outer` is about. */
const covers = (outer: string, inner: string) => inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);

/**
 * Compiles a definition into the plan the interpreter runs, or reports every problem at once: schema
 * violations, and the registry, reference and flow checks. When the schema fails, the reference checks
 * still run on what can be read, and their problems are added unless they sit inside a value the
 * schema already faulted; the flow checks (reachability, endless paths, fees, deadlines) need a
 * well-formed definition and wait for the schema's problems to be fixed.
 */
export function compile(definition: unknown, ctx: CompileContext): { ok: true; plan: Plan } | { ok: false; problems: Problem[] } {
  if (!validate(definition)) {
    const schema = schemaProblems(validate.errors ?? []);
    let references: Problem[] = [];
    if (definition && typeof definition === 'object' && Array.isArray((definition as { steps?: unknown }).steps)) {
      try {
        references = checkReferences(definition as Record<string, any>, ctx).problems;
      } catch {
        // too malformed to read further: the schema's problems say why
      }
    }
    const extra = references.filter((r) => !schema.some((p) => covers(p.path, r.path) || covers(r.path, p.path)));
    return { ok: false, problems: [...schema, ...extra] };
  }
  const def = definition as Record<string, any>;
  const { problems, steps, paths } = checkReferences(def, ctx);
  if (problems.length) return { ok: false, problems };
  const plan: Plan = {
    planFormat: 1, code: def.code, version: def.version, hash: createHash('sha256').update(canonical(definition)).digest('hex'),
    name: def.name, sector: def.sector, agency: def.agency, serviceLevel: def.serviceLevel ?? 'full-online', deadline: def.deadline,
    fees: def.fees ?? [], documents: def.documents ?? [], applicationForm: def.applicationForm,
    returnChannels: def.returnChannels ?? ['electronic', 'counter'], start: def.steps[0].id, steps,
  };
  problems.push(...flowProblems(plan, paths));
  if (problems.length) return { ok: false, problems };
  return { ok: true, plan };
}

/** Every reference a definition makes, to the registry and to its own steps, fees and documents; and the plan's steps. */
function checkReferences(def: Record<string, any>, ctx: CompileContext): { problems: Problem[]; steps: Record<string, PlanStep>;
  paths: Record<string, string> } {
  const problems: Problem[] = [];
  const steps: Record<string, PlanStep> = {};
  const agency = ctx.agencies.find((a) => a.code === def.agency);
  if (!agency) problems.push({ path: '$.agency', message: `agency "${def.agency}" is not in the registry` });
  const lists: { ids: Set<string>; path: string; raw: RawStep[] }[] = [];
  const feeCodes = new Set<string>((def.fees ?? []).map((f: { code: string }) => f.code));
  const documentCodes = new Set<string>((def.documents ?? []).map((d: { code: string }) => d.code));
  const paths: Record<string, string> = {};
  if (def.applicationForm) checkSchema(def.applicationForm, '$.applicationForm', problems);
  const allStepIds = new Set<string>();
  const gatherIds = (raw: RawStep[]) => raw.forEach((s) => { allStepIds.add(s.id); s.branches?.forEach((b: { steps: RawStep[] }) => gatherIds(b.steps)); });
  gatherIds(def.steps);

  /** Kind-specific fields and every reference a step makes to the registry and the definition. */
  function checkStep(s: RawStep, p: string) {
    paths[s.id] ??= p;
    const need = (field: string) => { if (s[field] === undefined) problems.push({ path: `${p}.${field}`, message: `a ${s.kind} step needs "${field}"` }); };
    switch (s.kind) {
      case 'task':
        need('outcomes');
        if (s.form) checkSchema(s.form, `${p}.form`, problems);
        break;
      case 'payment':
        need('fees');
        (s.fees ?? []).forEach((f: string, j: number) => {
          if (!feeCodes.has(f)) problems.push({ path: `${p}.fees[${j}]`, message: `fee "${f}" is not among the procedure's fees (${[...feeCodes].join(', ') || 'none'})` });
        });
        break;
      case 'digitize':
        need('documents');
        if (Array.isArray(s.documents)) s.documents.forEach((d: string, j: number) => {
          if (!documentCodes.has(d)) problems.push({ path: `${p}.documents[${j}]`, message: `document "${d}" is not among the procedure's documents (${[...documentCodes].join(', ') || 'none'})` });
        });
        break;
      case 'handoff': {
        need('to');
        if (Boolean(s.procedure) === Boolean(s.endpoint)) problems.push({ path: p, message: 'a handoff names exactly one of "procedure" (on this platform) or "endpoint" (an external partner)' });
        if (s.procedure && !ctx.procedures.includes(s.procedure)) problems.push({ path: `${p}.procedure`, message: `partner procedure "${s.procedure}" is not published on this platform` });
        const owner = s.procedure ? ctx.procedureAgencies?.[s.procedure] : undefined;
        if (owner && s.to?.agency && owner !== s.to.agency) {
          problems.push({ path: `${p}.to.agency`, message: `partner procedure "${s.procedure}" belongs to ${owner}, not ${s.to.agency}` });
        }
        if (s.procedure === def.code) problems.push({ path: `${p}.procedure`, message: 'a procedure cannot hand off to itself' });
        const target = s.to?.agency;
        if (target && !ctx.agencies.some((a) => a.code === target)) problems.push({ path: `${p}.to.agency`, message: `agency "${target}" is not in the registry` });
        for (const o of ['done', 'refused']) if (!s.outcomes?.[o]) problems.push({ path: `${p}.outcomes.${o}`, message: `a handoff must say what "${o}" does` });
        if (s.outcomes?.timeout && !s.endpoint) problems.push({ path: `${p}.outcomes.timeout`, message: 'only a handoff to an external "endpoint" times out' });
        else if (s.outcomes?.timeout && !s.deadline) problems.push({ path: `${p}.outcomes.timeout`, message: 'a "timeout" outcome needs the step\'s "deadline"' });
        break;
      }
      case 'decision':
        need('cases');
        need('otherwise');
        (s.cases ?? []).forEach((c: { when: unknown }, j: number) => {
          if (!c.when || typeof c.when !== 'object' || Array.isArray(c.when)) problems.push({ path: `${p}.cases[${j}].when`, message: 'must be a JSON Logic expression (an object such as {"==": [{"var": "application.x"}, 1]})' });
          else problems.push(...logicProblems(c.when, `${p}.cases[${j}].when`, allStepIds));
        });
        break;
      case 'wait':
        need('duration');
        if (s.pausesClock === true && p.includes('.branches[')) {
          problems.push({ path: `${p}.pausesClock`, message: 'only a wait outside parallel branches can stop the legal clock' });
        }
        break;
      case 'parallel':
        need('branches');
        break;
      case 'notify':
        need('template');
        need('to');
        if (s.template && !ctx.templates.includes(s.template)) problems.push({ path: `${p}.template`, message: `template "${s.template}" does not exist (${ctx.templates.join(', ')})` });
        if (s.to && typeof s.to === 'object') {
          if (agency && !agency.units.includes(s.to.unit)) problems.push({ path: `${p}.to.unit`, message: `unit "${s.to.unit}" is not a unit of ${def.agency}` });
          if (!ctx.roles.includes(s.to.role)) problems.push({ path: `${p}.to.role`, message: `role "${s.to.role}" does not exist` });
        }
        break;
    }
  }

  function collect(raw: RawStep[], path: string) {
    lists.push({ ids: new Set(raw.map((s) => s.id)), path, raw });
    raw.forEach((s, i) => {
      const p = `${path}[${i}]`;
      if (steps[s.id]) problems.push({ path: `${p}.id`, message: `step id "${s.id}" is used twice` });
      if (s.assignee) {
        if (agency && !agency.units.includes(s.assignee.unit)) problems.push({ path: `${p}.assignee.unit`, message: `unit "${s.assignee.unit}" is not a unit of ${def.agency} (${agency.units.join(', ')})` });
        if (!ctx.roles.includes(s.assignee.role)) problems.push({ path: `${p}.assignee.role`, message: `role "${s.assignee.role}" does not exist (${ctx.roles.join(', ')})` });
      } else if (s.kind === 'reception' || s.kind === 'task') {
        problems.push({ path: `${p}.assignee`, message: 'is required' });
      }
      checkStep(s, p);
      const base = { id: s.id, name: s.name ?? DEFAULT_NAMES[s.kind], deadline: s.deadline, next: s.next ?? null };
      const effects = (outcomes: Record<string, any> = {}): Record<string, OutcomeEffect> => Object.fromEntries(Object.entries(outcomes).map(([k, o]) =>
        [k, o.supplement ? { effect: 'supplement' } : o.stop ? { effect: 'stop' } : { effect: 'next', next: o.next ?? s.next ?? null }]));
      steps[s.id] = { ...base, ...s, ...base, ...(s.outcomes ? { outcomes: effects(s.outcomes) } : {}),
        ...(s.branches ? { branches: s.branches.map((b: { steps: RawStep[] }) => ({ start: b.steps[0]?.id ?? null })) } : {}) } as PlanStep;
      if (s.branches) s.branches.forEach((b: { steps: RawStep[] }, j: number) => collect(b.steps, `${p}.branches[${j}].steps`));
    });
  }
  collect(def.steps, '$.steps');
  for (const list of lists) {
    list.raw.forEach((s, i) => {
      const p = `${list.path}[${i}]`;
      const ref = (target: string | undefined, where: string) => {
        if (target !== undefined && !list.ids.has(target)) problems.push({ path: `${p}.${where}`, message: `"${target}" is not a step of the same list` });
      };
      ref(s.next, 'next');
      for (const [name, o] of Object.entries<any>(s.outcomes ?? {})) ref(o.next, `outcomes.${name}.next`);
      (s.cases ?? []).forEach((c: { next: string }, j: number) => ref(c.next, `cases[${j}].next`));
      ref(s.otherwise, 'otherwise');
    });
  }
  return { problems, steps, paths };
}
