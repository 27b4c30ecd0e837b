import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import {
  BadRequestError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
  type ProblemDetail,
} from './errors';
import { pointerToPath, type Validator } from './validation';

declare module 'express-serve-static-core' {
  interface Request {
    /** the request's body as it came, once the boundary has read it (signatures are checked over it) */
    rawBody?: Buffer;
  }
}

/** What the boundary lets through; docs/reliability.md ("Input boundary") explains each. */
export const INPUT_LIMITS = {
  /** arrays and objects inside one another, the body's top level included */
  depth: 32,
  /** a body, unless the operation's `x-max-body-bytes` says otherwise */
  bodyBytes: 256 * 1024,
  /** a body with documents in it, base64 (submissions, supplements, results) */
  uploadBodyBytes: 25 * 1024 * 1024,
  /** a dossier's application data, handed whole to its workflow (Temporal refuses payloads over 2 MB) */
  applicationBytes: 256 * 1024,
  /** PostgreSQL's `integer`: every integer parameter stays within it */
  int: 2_147_483_647,
  /** `page` of every paged list */
  page: 100_000,
  /** problems listed in one answer */
  problems: 20,
} as const;

/** A UUID as PostgreSQL stores it (no braces, no `urn:uuid:`), any version. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// NUL and the other C0 controls but tab, LF and CR; a high surrogate not followed by a low one; a low one not preceded by a high one
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` may not pass the boundary (a control character or a lone surrogate), or undefined when it may. */
export function textProblem(text: string): string | undefined {
  const m = FORBIDDEN.exec(text);
  if (!m) return undefined;
  const code = `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return m[0].charCodeAt(0) < 0x20
    ? `contains the control character ${code} (only tab, line feed and carriage return are allowed)`
    : `contains the lone surrogate ${code} (not a Unicode character)`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const HEX = /^[0-9a-fA-F]{2}$/;

/**
 * Percent-decodes one URL component strictly: every `%` starts two hex digits and the bytes are UTF-8
 * (no overlong forms, no encoded surrogates). Characters from U+0080 to U+00FF are bytes that came
 * unencoded on the wire (Node reads the request line as Latin-1). `plusIsSpace` for query components.
 *
 * @throws BadRequestError naming `where`
 */
export function decodeComponent(raw: string, where: string, plusIsSpace = false): string {
  if (!raw.includes('%') && !/[\u0080-\uFFFF]/.test(raw)) return plusIsSpace ? raw.replace(/\+/g, ' ') : raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!HEX.test(hex)) {
        throw new BadRequestError(`the URL's ${where} has a broken percent-encoding`,
          [{ path: where, message: `"%" must be followed by two hex digits, not "${raw.slice(i + 1, i + 3)}"` }]);
      }
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c === 0x2b && plusIsSpace) bytes.push(0x20);
    else if (c <= 0xff) bytes.push(c);
    else bytes.push(...Buffer.from(raw[i], 'utf8'));
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    throw new BadRequestError(`the URL's ${where} is not UTF-8 once percent-decoded`,
      [{ path: where, message: 'percent-encode UTF-8 bytes only (no overlong forms, no surrogates)' }]);
  }
}

/** Whether JSON `text` nests arrays and objects deeper than `limit`, without parsing it (and so without recursion). */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** Every string of a parsed JSON value (keys too) that may not pass the boundary, with its JSONPath; at most `INPUT_LIMITS.problems`. */
export function jsonTextProblems(value: unknown, root = '$'): ProblemDetail[] {
  const problems: ProblemDetail[] = [];
  const walk = (v: unknown, pointer: string): void => {
    if (problems.length >= INPUT_LIMITS.problems) return;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) problems.push({ path: pointerToPath(pointer, root), message: problem });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${pointer}/${i}`));
    } else if (v !== null && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) {
        const problem = textProblem(key);
        if (problem) problems.push({ path: pointerToPath(pointer, root), message: `has a key that ${problem}` });
        else walk(item, `${pointer}/${escapePointer(key)}`);
      }
    }
  };
  walk(value, '');
  return problems;
}

/** The charset a Content-Type names, lower-cased, or undefined. */
function charsetOf(contentType: string | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType ?? '');
  return m ? m[1].toLowerCase() : undefined;
}

type JsonSchema = Record<string, any>;

interface ParamSpec {
  name: string;
  schema: JsonSchema;
}

/** One documented operation, as the boundary matches and checks it. */
export interface Operation {
  method: string;
  template: string;
  segments: (string | { param: string })[];
  literals: number;
  path: Map<string, ParamSpec>;
  query: Map<string, ParamSpec>;
  maxBodyBytes: number;
}

/** Replaces `#/components/schemas/…` references by the schemas, so each parameter schema stands alone. */
function resolveRefs(schema: unknown, document: JsonSchema, seen: string[] = []): any {
  if (Array.isArray(schema)) return schema.map((s) => resolveRefs(s, document, seen));
  if (schema === null || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: unknown }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/') && !seen.includes(ref)) {
    return resolveRefs(document.components?.schemas?.[ref.slice('#/components/schemas/'.length)], document, [...seen, ref]);
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, resolveRefs(v, document, seen)]));
}

/**
 * What the boundary checks of a parameter's schema: its type, range, format, pattern and length, the
 * values no route should see. Which values a route takes (`enum`, `const`) and whether it needs one are
 * the route's to answer, in its own words.
 */
function boundarySchema(schema: JsonSchema): JsonSchema {
  const { enum: _enum, const: _const, ...checked } = schema;
  return checked;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** The operations of an OpenAPI document with their parameter schemas and body limits. */
export function operationsOf(document: JsonSchema): Operation[] {
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries<JsonSchema>(document.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])] as { name: string; in: string; required?: boolean; schema?: JsonSchema }[];
      const spec = (where: string) => new Map(params.filter((p) => p.in === where)
        .map((p) => [p.name, { name: p.name, schema: boundarySchema(resolveRefs(p.schema ?? {}, document)) }]));
      const segments = template.split('/').slice(1).map((s) => {
        const m = /^\{(.+)\}$/.exec(s);
        return m ? { param: m[1] } : s.toLowerCase();
      });
      operations.push({ method, template, segments, literals: segments.filter((s) => typeof s === 'string').length,
        path: spec('path'), query: spec('query'), maxBodyBytes: op.requestBody?.['x-max-body-bytes'] ?? INPUT_LIMITS.bodyBytes });
    }
  }
  return operations;
}

/** The documented operation a request is for (the most literal match, as the router would pick), with its raw path parameters. */
function match(operations: Operation[], method: string, segments: string[]): { op: Operation; params: Record<string, string> } | undefined {
  let best: { op: Operation; params: Record<string, string> } | undefined;
  for (const op of operations) {
    if (op.method !== method || op.segments.length !== segments.length || (best && best.op.literals >= op.literals)) continue;
    const params: Record<string, string> = {};
    const fits = op.segments.every((s, i) => {
      if (typeof s === 'string') return s === segments[i].toLowerCase();
      params[s.param] = segments[i];
      return segments[i] !== '';
    });
    if (fits) best = { op, params };
  }
  return best;
}

/** A query or path value as its schema's type reads it; left as text when it does not read as that type (the schema then says why). */
function typed(raw: string, schema: JsonSchema): unknown {
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
  if (type === 'integer') return /^-?\d{1,20}$/.test(raw) ? Number(raw) : raw;
  if (type === 'number') return /^-?\d{1,20}(\.\d{1,20})?$/.test(raw) ? Number(raw) : raw;
  if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

/** Problems of one parameter against its schema, integers kept within PostgreSQL's `integer` whatever the schema says. */
function paramProblems(validator: Validator, spec: ParamSpec, value: unknown, where: string): ProblemDetail[] {
  const problems = validator.problems(spec.schema, value, where);
  if (!problems.length && typeof value === 'number' && Math.abs(value) > INPUT_LIMITS.int) {
    problems.push({ path: where, message: `must be between ${-INPUT_LIMITS.int} and ${INPUT_LIMITS.int}` });
  }
  return problems;
}

/** The headers the API reads; their values may carry no control character. */
const READ_HEADERS = ['authorization', 'idempotency-key', 'x-signature', 'x-postal-signature'];

const JSON_TYPES = ['application/json', '+json'];

/**
 * The one input boundary, first on every request: nothing a route should never see gets past it.
 *
 * - the URL: broken percent-encoding or bytes that are not UTF-8 → 400; a control character or lone
 *   surrogate in the path (`path`) or the query (`query.<name>`) → 422; a query parameter given twice → 400;
 * - the headers the API reads: a control character → 422 (`header.<Name>`);
 * - the parameters of a documented operation, against their schemas in the OpenAPI document: a path
 *   parameter not of its `format` (a task id that is no UUID) → 404; out of its range or pattern → 400;
 *   every integer within PostgreSQL's `integer`;
 * - the body: larger than the operation's `x-max-body-bytes` (default 256 KB) → 413; a charset other than
 *   UTF-8 or a type other than JSON → 415; not UTF-8, not JSON, or nested deeper than 32 → 400; a
 *   control character or lone surrogate in any key or string → 422 naming its JSONPath.
 *
 * What passes: `req.query` holds one decoded string per parameter, `req.body` the parsed JSON (undefined
 * without a body) and `req.rawBody` its bytes.
 */
export function inputBoundary({ validator, document }: { validator: Validator; document: JsonSchema }): RequestHandler {
  const operations = operationsOf(document);
  const readers = new Map<number, RequestHandler>();
  const reader = (limit: number) => {
    let read = readers.get(limit);
    if (!read) readers.set(limit, read = express.raw({ type: () => true, limit }));
    return read;
  };

  return (req: Request, res: Response, next: NextFunction) => {
    let op: Operation | undefined;
    try {
      const url = req.originalUrl;
      const q = url.indexOf('?');
      const rawPath = q < 0 ? url : url.slice(0, q);
      const rawSegments = rawPath.split('/').slice(1);
      const segments = rawSegments.map((s) => decodeComponent(s, 'path'));
      const pathProblem = segments.map(textProblem).find(Boolean);
      if (pathProblem) throw new ValidationError('the URL\'s path is not allowed', [{ path: 'path', message: pathProblem }]);
      const query = parseQuery(q < 0 ? '' : url.slice(q + 1));
      Object.defineProperty(req, 'query', { value: query, configurable: true, enumerable: true, writable: true });

      for (const name of READ_HEADERS) {
        const value = req.headers[name];
        const problem = typeof value === 'string' ? textProblem(value) : undefined;
        if (problem) throw new ValidationError(`the ${name} header is not allowed`, [{ path: `header.${name}`, message: problem }]);
      }

      const found = match(operations, req.method === 'HEAD' ? 'get' : req.method.toLowerCase(),
        (rawSegments.at(-1) === '' && rawSegments.length > 1 ? rawSegments.slice(0, -1) : rawSegments));
      op = found?.op;
      if (found) checkParams(validator, found.op, found.params, query);
    } catch (err) {
      return next(err);
    }
    readBody(req, res, reader(op?.maxBodyBytes ?? INPUT_LIMITS.bodyBytes), op).then(() => next(), next);
  };
}

/** The query string as one decoded, checked string per name. */
function parseQuery(raw: string): Record<string, string> {
  const query: Record<string, string> = {};
  const problems: ProblemDetail[] = [];
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq < 0 ? pair : pair.slice(0, eq), 'query', true);
    const where = `query.${name}`;
    const nameProblem = textProblem(name);
    if (nameProblem) {
      problems.push({ path: 'query', message: `a parameter name ${nameProblem}` });
      continue;
    }
    const value = decodeComponent(eq < 0 ? '' : pair.slice(eq + 1), where, true);
    if (Object.hasOwn(query, name)) throw new BadRequestError(`the query parameter ${name} is given more than once`, [{ path: where, message: 'give it once' }]);
    const problem = textProblem(value);
    if (problem) problems.push({ path: where, message: problem });
    Object.defineProperty(query, name, { value, enumerable: true, writable: true, configurable: true });
  }
  if (problems.length) throw new ValidationError('the URL\'s query is not allowed', problems.slice(0, INPUT_LIMITS.problems));
  return query;
}

/** Path and query parameters against the operation's schemas: a path parameter not of its format is 404, any other problem 400. */
function checkParams(validator: Validator, op: Operation, rawParams: Record<string, string>, query: Record<string, string>): void {
  for (const [name, raw] of Object.entries(rawParams)) {
    const spec = op.path.get(name);
    if (!spec) continue;
    const value = decodeComponent(raw, `path.${name}`);
    const problems = paramProblems(validator, spec, typed(value, spec.schema), `path.${name}`);
    if (!problems.length) continue;
    // an id not of its format (a task id that is no UUID) names nothing there; a number out of range or a broken pattern is malformed
    if (spec.schema.type === 'string' && typeof spec.schema.format === 'string') {
      throw new NotFoundError(`no ${name} "${value.length > 100 ? `${value.slice(0, 100)}…` : value}": ${problems[0].message}`);
    }
    throw new BadRequestError(`${name} is malformed or out of its range`, problems);
  }
  const problems: ProblemDetail[] = [];
  for (const spec of op.query.values()) {
    const raw = Object.hasOwn(query, spec.name) ? query[spec.name] : undefined;
    if (raw === undefined || raw === '') continue;
    problems.push(...paramProblems(validator, spec, typed(raw, spec.schema), `query.${spec.name}`));
  }
  if (problems.length) throw new BadRequestError('the query is invalid', problems.slice(0, INPUT_LIMITS.problems));
}

/** Reads the body within the operation's limit and lets through UTF-8 JSON with allowed strings only. */
async function readBody(req: Request, res: Response, read: RequestHandler, op: Operation | undefined): Promise<void> {
  const declared = req.headers['content-type'];
  const charset = charsetOf(declared);
  const announced = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (announced && charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new UnsupportedMediaTypeError(`the body's charset is ${charset}; send UTF-8 (Content-Type: application/json; charset=utf-8)`);
  }
  await new Promise<void>((resolve, reject) => {
    read(req, res, (err?: unknown) => {
      if (!err) return resolve();
      const e = err as { status?: number; type?: string; limit?: number };
      if (e.type === 'entity.too.large') {
        const where = op ? `${op.method.toUpperCase()} ${op.template}` : 'this route';
        return reject(new PayloadTooLargeError(`the body is larger than ${bytes(e.limit ?? 0)}, the limit of ${where}`));
      }
      if (e.type === 'encoding.unsupported') return reject(new UnsupportedMediaTypeError((err as Error).message));
      reject(err);
    });
  });
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  req.rawBody = raw;
  req.body = undefined;
  if (raw.length === 0) return;
  if (declared !== undefined && !req.is(JSON_TYPES)) {
    throw new UnsupportedMediaTypeError(`the body is ${declared.split(';')[0]}; send JSON (Content-Type: application/json)`);
  }
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new BadRequestError('the body is not UTF-8', [{ path: '$', message: 'send the JSON encoded as UTF-8' }]);
  }
  if (nestsDeeperThan(text, INPUT_LIMITS.depth)) {
    throw new BadRequestError(`the body nests arrays and objects deeper than ${INPUT_LIMITS.depth} levels`,
      [{ path: '$', message: `at most ${INPUT_LIMITS.depth} levels` }]);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`the body is not valid JSON: ${(err as Error).message}`);
  }
  const problems = jsonTextProblems(body);
  if (problems.length) throw new ValidationError('the body has characters that are not allowed', problems);
  req.body = body;
}

/** A byte count for people: 256 KB, 25 MB. */
export function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

/** Refuses (422 at `path`) a JSON value larger than `limit` bytes once serialized: data handed whole to a workflow. */
export function checkJsonSize(value: unknown, path: string, limit: number, what: string): void {
  if (value === undefined) return;
  const size = Buffer.byteLength(JSON.stringify(value));
  if (size > limit) {
    throw new ValidationError(`${what} is too large`, [{ path, message: `is ${bytes(size)} as JSON; the limit is ${bytes(limit)}` }]);
  }
}
