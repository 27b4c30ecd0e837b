/**
 * How an activity fails: what can never succeed (bad data, a broken constraint, a bug) fails typed and
 * non-retryable at once, so the workflow shows it to ops instead of retrying it in silence; what may pass
 * (a connection refused, a deadlock, a server restarting) is left to the bounded retry policy.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';

/** PostgreSQL SQLSTATE classes whose errors no retry can cure, and the failure type each becomes. */
const PERMANENT_SQL_CLASSES: Record<string, string> = {
  '22': 'DataError',
  '23': 'ConstraintViolationError',
  '42': 'SchemaError',
  '2B': 'ConstraintViolationError',
  '44': 'ConstraintViolationError',
};

/** Programming errors: the same input meets the same bug on every attempt. */
const BUG_ERRORS = new Set(['TypeError', 'ReferenceError', 'RangeError']);

/**
 * The failure an activity's error should surface as: a non-retryable `ApplicationFailure` with a type
 * for what can never succeed, the error itself for what may pass on a retry.
 */
export function classifyActivityError(err: unknown): unknown {
  if (err instanceof ApplicationFailure || !(err instanceof Error)) return err;
  const sqlState = (err as { code?: unknown }).code;
  if (typeof sqlState === 'string' && /^[0-9A-Z]{5}$/.test(sqlState)) {
    const type = PERMANENT_SQL_CLASSES[sqlState.slice(0, 2)];
    if (type) return ApplicationFailure.create({ message: `${err.message} (SQLSTATE ${sqlState})`, type, nonRetryable: true, cause: err });
    return err;
  }
  if (BUG_ERRORS.has(err.name)) {
    return ApplicationFailure.create({ message: `${err.name}: ${err.message}`, type: 'ActivityBugError', nonRetryable: true, cause: err });
  }
  return err;
}

const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The value with every string made storable in PostgreSQL: NUL and lone surrogates (which text and jsonb
 * refuse) become U+FFFD. The API refuses such input up front; this keeps whatever else reaches an
 * activity (a partner's answer, an older run's input) from wedging a dossier.
 */
export function storable<T>(value: T): T {
  if (typeof value === 'string') {
    return (UNSTORABLE.test(value) ? value.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATES, '\uFFFD') : value) as T;
  }
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), storable(v)])) as T;
  }
  return value;
}

/** The worker's interceptor: storable inputs in, classified failures out. */
export const failureInterceptors: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next({ ...input, args: input.args.map(storable) });
      } catch (err) {
        throw classifyActivityError(err);
      }
    },
  } satisfies ActivityInboundCallsInterceptor,
});
