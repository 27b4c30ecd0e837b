import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats';
import { createHash } from 'node:crypto';
import { ValidationError, type ProblemDetail } from './errors';

/** JSON Pointer (`/a/0/b`) → JSONPath (`$.a[0].b`), the form every problem is reported in. */
export function pointerToPath(pointer: string, root = '$'): string {
  if (!pointer) return root;
  return root + pointer.split('/').slice(1).map((raw) => {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(part) ? `[${part}]` : /^[A-Za-z_$][\w$]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
  }).join('');
}

export function toProblems(errors: ErrorObject[] | null | undefined, root = '$'): ProblemDetail[] {
  return (errors ?? []).map((e) => {
    let path = pointerToPath(e.instancePath, root);
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      path = `${path}.${(e.params as { missingProperty: string }).missingProperty}`;
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      path = `${path}.${(e.params as { additionalProperty: string }).additionalProperty}`;
      message = 'is not an allowed field';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    return { path, message };
  });
}

const dateTime = fullFormats['date-time'] as { validate: (s: string) => boolean; compare: (a: string, b: string) => number | undefined };

/** A new Ajv with the formats, two of them stricter than RFC 3339 and 4122 allow: what PostgreSQL takes. */
function createAjv(): Ajv {
  const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
  // PostgreSQL's uuid reads no `urn:uuid:` prefix
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  // PostgreSQL has no year 0
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => dateTime.validate(s) && !s.startsWith('0000'), compare: dateTime.compare });
  return ajv;
}

/** Validates request bodies, parameters and officer/applicant form data, every problem with its path. */
export class Validator {
  private readonly ajv = createAjv();
  private readonly cache = new Map<string, ValidateFunction>();

  private compiled(schema: object): ValidateFunction {
    const key = createHash('sha256').update(JSON.stringify(schema)).digest('hex');
    let fn = this.cache.get(key);
    if (!fn) {
      fn = this.ajv.compile(schema);
      this.cache.set(key, fn);
    }
    return fn;
  }

  /** Every problem of `value` against `schema`, each with its path under `root`; none when it is valid. */
  problems(schema: object, value: unknown, root = '$'): ProblemDetail[] {
    const fn = this.compiled(schema);
    return fn(value) ? [] : toProblems(fn.errors, root);
  }

  /** Throws ValidationError (422) listing every problem; `root` prefixes the paths (e.g. `$.data`). */
  check<T>(schema: object, value: unknown, what: string, root = '$'): T {
    const problems = this.problems(schema, value, root);
    if (problems.length) throw new ValidationError(`${what} is invalid`, problems);
    return value as T;
  }
}
