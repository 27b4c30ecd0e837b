import type { Request } from 'express';
import { DateTime } from 'luxon';
import { INPUT_LIMITS } from './boundary';
import { BadRequestError } from './errors';

/**
 * The one strict reader of query and path parameters for the routes. The input boundary has checked
 * the documented ones against the OpenAPI document already; these read them as their types, and hold
 * the same line for any parameter the document does not describe. An empty value counts as absent.
 */

/** The query parameter `name` as the boundary left it: one decoded string, or undefined when absent or empty. */
export function queryText(req: Request, name: string): string | undefined {
  const value: unknown = req.query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new BadRequestError(`the query parameter ${name} must be given once`, [{ path: `query.${name}`, message: 'give it once' }]);
  return value;
}

/** A whole number in [min, max] (at most PostgreSQL's `integer`), written plainly: no sign but `-`, exponent, hex or spaces. */
export function intParam(raw: string, name: string, { min = 1, max = INPUT_LIMITS.int as number, where = `path.${name}` } = {}): number {
  const n = /^-?\d{1,20}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > Math.min(max, INPUT_LIMITS.int)) {
    throw new BadRequestError(`${name} must be a whole number from ${min} to ${Math.min(max, INPUT_LIMITS.int)}, not "${raw.slice(0, 40)}"`,
      [{ path: where, message: `must be a whole number from ${min} to ${Math.min(max, INPUT_LIMITS.int)}` }]);
  }
  return n;
}

/** The integer query parameter `name`, or undefined when absent. */
export function queryInt(req: Request, name: string, opts: { min?: number; max?: number } = {}): number | undefined {
  const raw = queryText(req, name);
  return raw === undefined ? undefined : intParam(raw, name, { ...opts, where: `query.${name}` });
}

/** `true` or `false` (absent: `fallback`). */
export function queryBool(req: Request, name: string, fallback = false): boolean {
  const raw = queryText(req, name);
  if (raw === undefined) return fallback;
  if (raw !== 'true' && raw !== 'false') throw new BadRequestError(`${name} must be true or false`, [{ path: `query.${name}`, message: 'must be true or false' }]);
  return raw === 'true';
}

/** One of `allowed`, or undefined when absent. */
export function queryEnum<T extends string>(req: Request, name: string, allowed: readonly T[]): T | undefined {
  const raw = queryText(req, name);
  if (raw !== undefined && !(allowed as readonly string[]).includes(raw)) {
    const list = allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}` : allowed[0];
    throw new BadRequestError(`${name} must be ${list}`, [{ path: `query.${name}`, message: `must be ${list}` }]);
  }
  return raw as T | undefined;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/** An ISO-8601 instant with its offset (`2026-12-01T08:00:00+07:00`), years 0001–9999, or undefined when absent. */
export function queryInstant(req: Request, name: string): string | undefined {
  const raw = queryText(req, name);
  if (raw === undefined) return undefined;
  if (!INSTANT.test(raw) || raw.startsWith('0000') || !DateTime.fromISO(raw).isValid) {
    throw new BadRequestError(`${name} must be an ISO-8601 instant with its offset, e.g. 2026-12-01T08:00:00+07:00`,
      [{ path: `query.${name}`, message: 'must be an ISO-8601 instant with its offset' }]);
  }
  return raw;
}

/** `page` (1–100,000) and `pageSize` (1–200, default 20), and the rows to skip. */
export function pageOf(req: Request): { page: number; pageSize: number; offset: number } {
  const page = queryInt(req, 'page', { min: 1, max: INPUT_LIMITS.page }) ?? 1;
  const pageSize = queryInt(req, 'pageSize', { min: 1, max: 200 }) ?? 20;
  return { page, pageSize, offset: (page - 1) * pageSize };
}
