import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
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

/** Validates request bodies and officer/applicant form data, every problem with its path. */
export class Validator {
  private readonly ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
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

  /** Throws ValidationError (422) listing every problem; `root` prefixes the paths (e.g. `$.data`). */
  check<T>(schema: object, value: unknown, what: string, root = '$'): T {
    const fn = this.compiled(schema);
    if (!fn(value)) throw new ValidationError(`${what} is invalid`, toProblems(fn.errors, root));
    return value as T;
  }
}
