/**
 * Malformed requests to every operation of the OpenAPI document (a new route is fuzzed with no edit),
 * over real HTTP with real PostgreSQL and Temporal, with no token, an officer's and an applicant's:
 * broken percent-encoding, control characters and lone surrogates in each path parameter, query
 * parameter, body string and key; other charsets; bodies that are not UTF-8 or not JSON; deep nesting;
 * bodies over their limit and huge strings; numbers and dates out of range; ids not of their format.
 *
 * Never an answer of 500 or more. What the input boundary must refuse gets exactly its answer and
 * reaches no route: no row anywhere moves. What reaches a route is refused there, or harmlessly
 * answered, and creates nothing. `/api/health` answers 200 afterwards. `FUZZ_SEED` replays a run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { operationsOf } from '../../api/boundary';
import { openApiDocument } from '../../api/openapi';
import { publishSamples } from '../../scripts/seed';
import { startTestEnv, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { httpClient } from '../support/http';
import { rawClient, type RawAnswer, type RawClient } from '../support/raw-http';
import { findTask, loginDemo } from '../support/tasks';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const CONCURRENCY = 8;

/** A small seeded PRNG (mulberry32): the same seed, the same requests in the same order. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] };
}

type Schema = Record<string, any>;
type Token = 'none' | 'officer' | 'applicant';
/** the answer a case must get: a status, or anything below 500 */
type Expected = number | 'below 500';

interface Case {
  kind: string;
  method: string;
  path: string;
  token: Token;
  body?: string | Buffer;
  headers?: Record<string, string>;
  expected: Expected;
  /** refused by the boundary, so no route ran: nothing may move, not even a log row */
  boundary: boolean;
}

const BROKEN_ENCODINGS = ['%zz', '%', '%E0%A4%A', '%C0%80', '%ED%A0%80', 'a%F0%9F%98', '%FF'];
const CONTROLS_ENCODED = ['%00', 'abc%00def', '%01', '%1F', '%0B'];
const CONTROLS = ['\u0000', '\u0001', '\u0008', '\u001b', '\u001f', '\ud800', '\udfff'];
const HUGE_NUMBERS = ['2147483648', '9223372036854775808', '-1', '-2147483649', '1e400', '0x10', '1.5', '01'];
const BAD_DATES = ['-1', '01', '0000-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-13-01', '275760-09-14T00:00:00Z', 'now', '2026-12-01T25:00:00Z'];
const BODY_NUMBERS = ['2147483648', '9223372036854775808', '-9223372036854775809', '1e400', '-1', '1.5e308'];
/** leaves of a body mutated one at a time, chosen by the PRNG (a procedure definition has hundreds) */
const LEAVES_PER_BODY = 8;
const NOT_UUIDS = ['abcdef012345abcdef012345abcdef012345', '------------------------------------', '00000000-0000-0000-0000-00000000000g',
  'urn:uuid:00000000-0000-4000-8000-000000000000', '{00000000-0000-4000-8000-000000000000}'];

const document = openApiDocument as unknown as Schema;
const sampleProcedure = JSON.parse(readFileSync(join(__dirname, '..', '..', 'procedures', '1.001193-dang-ky-khai-sinh.json'), 'utf8'));

function resolve(schema: Schema | undefined): Schema {
  if (!schema) return {};
  const ref = schema.$ref as string | undefined;
  if (ref?.startsWith('#/components/schemas/')) return resolve(document.components.schemas[ref.split('/').pop()!]);
  return schema;
}

/** A plausible value for `schema`: examples first, then a value of its type; objects without properties get some text to mutate. */
function example(raw: Schema | undefined, uuid: string, depth = 0): unknown {
  if (raw?.$ref && !raw.$ref.startsWith('#/')) return structuredClone(sampleProcedure);
  const schema = resolve(raw);
  if ('example' in schema) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (Array.isArray(schema.oneOf ?? schema.anyOf)) return example((schema.oneOf ?? schema.anyOf)[0], uuid, depth);
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
  if (type === 'object' || schema.properties) {
    const props = Object.entries<Schema>(schema.properties ?? {});
    if (!props.length || depth > 6) return { note: 'văn bản', nested: { value: 'text', count: 1 } };
    return Object.fromEntries(props.map(([k, s]) => [k, example(s, uuid, depth + 1)]));
  }
  if (type === 'array') return [example(schema.items ?? { type: 'string' }, uuid, depth + 1)];
  if (type === 'integer' || type === 'number') return schema.minimum ?? 1;
  if (type === 'boolean') return true;
  if (schema.format === 'date-time') return new Date().toISOString();
  if (schema.format === 'date') return '2026-12-01';
  if (schema.format === 'uuid') return uuid;
  if (schema.format === 'email') return 'an@example.vn';
  return 'văn bản';
}

/** Every leaf of a JSON value with a setter that returns a copy of the root with that leaf replaced. */
function leaves(root: unknown): { path: string; value: unknown; replace(v: unknown): unknown; rename?(key: string): unknown }[] {
  const found: ReturnType<typeof leaves> = [];
  const walk = (v: unknown, trail: (string | number)[]) => {
    if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        const at = [...trail, Array.isArray(v) ? Number(k) : k];
        if (!Array.isArray(v)) {
          found.push({ path: at.join('.'), value: k, replace: () => root, rename: (key: string) => setAt(root, trail, (o: any) => {
            const { [k]: moved, ...rest } = o;
            return { ...rest, [key]: moved };
          }) });
        }
        walk(item, at);
      }
    } else {
      found.push({ path: trail.join('.'), value: v, replace: (nv: unknown) => setAt(root, trail, () => nv) });
    }
  };
  walk(root, []);
  return found;
}

function setAt(root: unknown, trail: (string | number)[], change: (old: any) => unknown): unknown {
  if (!trail.length) return change(root);
  const copy: any = Array.isArray(root) ? [...root] : { ...(root as object) };
  copy[trail[0]] = setAt(copy[trail[0]], trail.slice(1), change);
  return copy;
}

/**
 * The cases for one operation, every kind of malformed input at every place it can go. Reads go to the
 * real dossier and task; writes to a task that does not exist, so a write that gets past its checks has
 * nothing to change.
 */
function casesFor(op: ReturnType<typeof operationsOf>[number], schemaOf: Schema, ids: Ids, rnd: ReturnType<typeof prng>): Omit<Case, 'token'>[] {
  const method = op.method.toUpperCase();
  const uuid = method === 'GET' ? ids.taskId : ids.unknownId;
  const baseParams: Record<string, string> = {};
  for (const [name, spec] of op.path) {
    baseParams[name] = spec.schema.format === 'uuid' ? uuid : name === 'code' ? ids.code
      : spec.schema.type === 'integer' ? String(Math.max(spec.schema.minimum ?? 1, 1)) : spec.schema.pattern ? '1' : String(example(spec.schema, uuid));
  }
  const url = (params: Record<string, string>, query = '') =>
    op.template.replace(/\{(\w+)\}/g, (_m, name: string) => params[name] ?? encodeURIComponent(baseParams[name])) + (query ? `?${query}` : '');
  const cases: Omit<Case, 'token'>[] = [];
  const add = (c: Omit<Case, 'token' | 'method' | 'boundary'> & { boundary?: boolean; method?: string }) =>
    cases.push({ method, boundary: typeof c.expected === 'number', ...c });

  // the path: each parameter broken, controlled, out of range or not of its format
  for (const [name, spec] of op.path) {
    for (const v of BROKEN_ENCODINGS) add({ kind: 'path encoding', path: url({ [name]: v }), expected: 400 });
    for (const v of CONTROLS_ENCODED) add({ kind: 'path control', path: url({ [name]: v }), expected: 422 });
    add({ kind: 'path raw bytes', path: url({ [name]: '\u00c3\u0028' }), expected: 400 });
    if (spec.schema.type === 'integer') {
      // a leading zero is still the number
      for (const v of HUGE_NUMBERS) add({ kind: 'path number', path: url({ [name]: encodeURIComponent(v) }), expected: v === '01' ? 'below 500' : 400 });
    } else {
      for (const v of HUGE_NUMBERS) add({ kind: 'path number as text', path: url({ [name]: encodeURIComponent(v) }), expected: 'below 500' });
      add({ kind: 'path long', path: url({ [name]: 'x'.repeat(4000) }), expected: spec.schema.format === 'uuid' ? 404 : 'below 500' });
    }
    if (spec.schema.format === 'uuid') for (const v of NOT_UUIDS) add({ kind: 'path not a uuid', path: url({ [name]: encodeURIComponent(v) }), expected: 404 });
  }

  // the query: each documented parameter (and one nobody documents) broken, controlled, doubled, out of range
  const queryNames = [...op.query.keys(), 'undocumented'];
  for (const name of queryNames) {
    const schema = op.query.get(name)?.schema ?? {};
    for (const v of BROKEN_ENCODINGS) add({ kind: 'query encoding', path: url({}, `${name}=${v}`), expected: 400 });
    for (const v of CONTROLS_ENCODED) add({ kind: 'query control', path: url({}, `${name}=${v}`), expected: 422 });
    add({ kind: 'query name control', path: url({}, `${name}%00=1`), expected: 422 });
    add({ kind: 'query twice', path: url({}, `${name}=1&${name}=2`), expected: 400 });
    if (schema.type === 'integer') {
      for (const v of ['2147483648', '9223372036854775808', '-2147483649', '1e3', '0x10', '1.5', 'abc']) {
        add({ kind: 'query number', path: url({}, `${name}=${encodeURIComponent(v)}`), expected: 400 });
      }
    } else if (schema.format === 'date-time' || schema.format === 'date') {
      for (const v of BAD_DATES) add({ kind: 'query date', path: url({}, `${name}=${encodeURIComponent(v)}`), expected: 400 });
    } else {
      for (const v of [...HUGE_NUMBERS, ...BAD_DATES.slice(0, 4), 'x'.repeat(3000)]) {
        add({ kind: 'query value', path: url({}, `${name}=${encodeURIComponent(v)}`), expected: 'below 500' });
      }
    }
  }

  // the headers the API reads
  // (no usable Idempotency-Key: a route's refusal is rightly kept for the key's retries)
  for (const [header, value] of [['Idempotency-Key', 'k'.repeat(300)], ['Idempotency-Key', '\u00e9'.repeat(201)], ['X-Signature', 'sha256=zz'],
    ['X-Signature', 'x'.repeat(5000)], ['X-Postal-Signature', '\u00ff'], ['Authorization', 'Bearer x.y.z'], ['Authorization', 'Basic \u00e9']]) {
    add({ kind: 'header', path: url({}), headers: { [header]: value }, expected: 'below 500' });
  }

  // the body: whole-body problems for every operation a client might send one to
  const limit = op.maxBodyBytes;
  const base = schemaOf.requestBody ? example(schemaOf.requestBody.content?.['application/json']?.schema, uuid) : { note: 'văn bản' };
  const json = JSON.stringify(base);
  const key = { 'Idempotency-Key': `fuzz-${Math.floor(rnd.next() * 1e12)}` };
  for (const charset of ['latin1', 'iso-8859-1', 'utf-16', 'windows-1258', 'us-ascii']) {
    add({ kind: 'body charset', path: url({}), body: json, headers: { 'content-type': `application/json; charset=${charset}`, ...key }, expected: 415 });
  }
  for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/xml']) {
    add({ kind: 'body type', path: url({}), body: json, headers: { 'content-type': type, ...key }, expected: 415 });
  }
  add({ kind: 'body not utf-8', path: url({}), body: Buffer.concat([Buffer.from(json.slice(0, -1)), Buffer.from(',"x":"\xc3\x28"}', 'latin1')]),
    headers: key, expected: 400 });
  add({ kind: 'body overlong utf-8', path: url({}), body: Buffer.from('{"a":"\xc0\xae"}', 'latin1'), headers: key, expected: 400 });
  add({ kind: 'body raw NUL', path: url({}), body: Buffer.from(`{"a":"x\u0000y"}`), headers: key, expected: 400 });
  add({ kind: 'body not JSON', path: url({}), body: `${json.slice(0, -1)}`, headers: key, expected: 400 });
  add({ kind: 'body deep', path: url({}), body: `${'['.repeat(10_000)}${']'.repeat(10_000)}`, headers: key, expected: 400 });
  add({ kind: 'body deep objects', path: url({}), body: `${'{"a":'.repeat(33)}1${'}'.repeat(33)}`, headers: key, expected: 400 });
  if (limit <= 1024 * 1024) add({ kind: 'body over limit', path: url({}), body: JSON.stringify({ pad: 'x'.repeat(limit) }), headers: key, expected: 413 });

  // the body: keys and leaves of a plausible body, controlled or nested deep; where the route reads a body, huge or out of range
  const all = leaves(base);
  const chosen = all.length <= LEAVES_PER_BODY ? all : Array.from({ length: LEAVES_PER_BODY }, () => rnd.pick(all));
  for (const leaf of chosen) {
      const send = (kind: string, value: unknown, expected: Expected, headers = key as Record<string, string>) => {
        const body = JSON.stringify(value);
        add({ kind, path: url({}), body, headers, expected: expected === 'below 500' && Buffer.byteLength(body) > limit ? 413 : expected });
      };
    const control = rnd.pick(CONTROLS);
    if (leaf.rename) {
      send('body key control', leaf.rename(`${String(leaf.value)}${control}`), 422);
      continue;
    }
    if (typeof leaf.value === 'string') {
      const at = Math.floor(rnd.next() * (leaf.value.length + 1));
      for (const c of [control, rnd.pick(CONTROLS)]) send('body string control', leaf.replace(`${leaf.value.slice(0, at)}${c}${leaf.value.slice(at)}`), 422);
    }
    send('body deep value', leaf.replace(JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`)), 400);
    if (!schemaOf.requestBody) continue;
    if (typeof leaf.value === 'string') send('body huge string', leaf.replace('x'.repeat(300 * 1024)), 'below 500', {});
    // (a date only where a date goes: elsewhere "2026-13-01" is fine text, a withdrawal's reason for one)
    if (typeof leaf.value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(leaf.value)) {
      for (const d of BAD_DATES) send('body bad date', leaf.replace(d), 'below 500', {});
    }
    for (const n of [rnd.pick(BODY_NUMBERS), rnd.pick(BODY_NUMBERS)]) {
      const body = JSON.stringify(leaf.replace('\u0000NUMBER')).replace('"\\u0000NUMBER"', n);
      add({ kind: 'body number', path: url({}), body, expected: 'below 500' });
    }
  }
  return cases;
}

let env: TestEnv;
let raw: RawClient;
const tokens: Record<Token, string | undefined> = { none: undefined, officer: undefined, applicant: undefined };
interface Ids {
  /** the applicant's dossier */
  code: string;
  /** its reception task */
  taskId: string;
  /** a task that does not exist */
  unknownId: string;
}
let ids: Ids;

const TABLES = ['dossiers', 'tasks', 'dossier_events', 'procedure_versions', 'idempotency_keys', 'callback_log', 'receipts', 'dossier_results',
  'local_portal_receipts', 'accounts', 'agencies', 'units', 'postal_orders', 'notifications'];

async function counts(): Promise<Record<string, number>> {
  const entries = await Promise.all(TABLES.map(async (t) => [t, Number((await env.db(t).count({ n: '*' }))[0].n)] as const));
  return Object.fromEntries(entries);
}

beforeAll(async () => {
  env = await startTestEnv();
  await publishSamples(env.db);
  const http = httpClient(env.apiUrl);
  raw = rawClient(env.apiUrl, { maxSockets: CONCURRENCY });
  [tokens.officer] = await loginDemo(http, 'lan.motcua-mybinh');
  const submitted = await http.post('/api/dossiers', birthRegistration());
  expect(submitted.status).toBe(201);
  tokens.applicant = submitted.body.applicantToken;
  // a real dossier and task in the paths, so requests get past "not found" to the checks behind it
  const task = await findTask(http, tokens.officer!, submitted.body.code, 'receive');
  ids = { code: submitted.body.code, taskId: task.id, unknownId: '00000000-0000-4000-8000-00000000f022' };
});
afterAll(async () => {
  raw?.close();
  await env?.stop();
});

async function run(cases: Case[]): Promise<{ sent: number; statuses: Record<number, number>; wrong: string[] }> {
  const statuses: Record<number, number> = {};
  const wrong: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      let res: RawAnswer;
      try {
        res = await raw.send(c.method, c.path, { body: c.body, headers: c.headers, token: tokens[c.token] });
      } catch (err) {
        wrong.push(`${c.kind} ${c.method} ${c.path.slice(0, 120)} (${c.token}): no answer, ${(err as Error).message}`);
        continue;
      }
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      const ok = c.expected === 'below 500' ? res.status < 500 : res.status === c.expected;
      if (!ok) {
        wrong.push(`${c.kind} ${c.method} ${c.path.slice(0, 120)} (${c.token}) body ${String(c.body ?? '').slice(0, 80)}: ` +
          `expected ${c.expected}, got ${res.status} ${res.text.slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { sent: cases.length, statuses, wrong };
}

test(`thousands of malformed requests to every documented operation: never a 5xx, nothing created (seed ${SEED})`, async () => {
  const rnd = prng(SEED);
  const operations = operationsOf(document);
  const order: Token[] = ['none', 'officer', 'applicant'];
  // each case once, under the three tokens in turn: every operation meets all three
  const all: Case[] = operations.flatMap((op) => casesFor(op, document.paths[op.template][op.method], ids, rnd))
    .map((c, i) => ({ ...c, token: order[i % 3] }));
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rnd.next() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  // one body over the largest limit (the uploads'), for each operation that takes one
  for (const op of operations.filter((o) => o.maxBodyBytes > 1024 * 1024)) {
    all.push({ kind: 'body over upload limit', method: op.method.toUpperCase(), path: op.template.replace(/\{\w+\}/g, ids.code), token: 'none',
      body: Buffer.alloc(op.maxBodyBytes + 1, 0x20), expected: 413, boundary: true });
  }
  const boundaryCases = all.filter((c) => c.boundary);
  const routeCases = all.filter((c) => !c.boundary);

  const accepted = () => env.db('callback_log').where({ outcome: 'accepted' }).count({ n: '*' }).then((r) => Number(r[0].n));
  const before = await counts();
  const acceptedBefore = await accepted();
  const first = await run(boundaryCases);
  // refused at the boundary: no route ran, so not a row anywhere moved, not even a log of a refused callback or a stored answer
  expect(await counts()).toEqual(before);
  const second = await run(routeCases);
  // refused by a route, or answered without effect: nothing created (a refused signed callback is traced, by design)
  expect({ ...(await counts()), callback_log: before.callback_log }).toEqual(before);
  expect(await accepted()).toBe(acceptedBefore);

  const statuses: Record<number, number> = { ...first.statuses };
  for (const [s, n] of Object.entries(second.statuses)) statuses[Number(s)] = (statuses[Number(s)] ?? 0) + n;
  const sent = first.sent + second.sent;
  console.log(`fuzz (seed ${SEED}): ${sent} requests to ${operations.length} operations, ${first.sent} refused at the boundary; ` +
    `statuses ${JSON.stringify(statuses)}; 5xx: ${Object.entries(statuses).filter(([s]) => Number(s) >= 500).reduce((n, [, c]) => n + c, 0)}`);
  expect([...first.wrong, ...second.wrong].slice(0, 30)).toEqual([]);
  expect(sent).toBeGreaterThan(3000);

  const health = await raw.get('/api/health');
  expect(health.status).toBe(200);
}, 240_000);
