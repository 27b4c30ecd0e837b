/** How activity errors are classified, and text made storable in PostgreSQL. */
import { ApplicationFailure } from '@temporalio/common';
import { classifyActivityError, storable } from '../../activities/failures';

function pgError(code: string, message = 'boom'): Error {
  return Object.assign(new Error(message), { code });
}

test.each([
  ['22021', 'DataError'], ['22P02', 'DataError'], ['22003', 'DataError'], ['23505', 'ConstraintViolationError'],
  ['23514', 'ConstraintViolationError'], ['42703', 'SchemaError'], ['42P01', 'SchemaError'],
])('a PostgreSQL error %s can never succeed: non-retryable %s', (code, type) => {
  const failure = classifyActivityError(pgError(code)) as ApplicationFailure;
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure.type).toBe(type);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain(`SQLSTATE ${code}`);
});

test.each(['08006', '57P01', '57P03', '40001', '40P01', '53300'])('a PostgreSQL error %s may pass: left to the retry policy', (code) => {
  const err = pgError(code);
  expect(classifyActivityError(err)).toBe(err);
});

test('connection errors are retried; programming errors are not', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  expect(classifyActivityError(refused)).toBe(refused);
  const bug = classifyActivityError(new TypeError("Cannot read properties of undefined (reading 'plan')")) as ApplicationFailure;
  expect(bug).toMatchObject({ type: 'ActivityBugError', nonRetryable: true });
  const typed = ApplicationFailure.retryable('partner busy', 'PartnerBusyError');
  expect(classifyActivityError(typed)).toBe(typed);
});

test('NUL and lone surrogates become U+FFFD everywhere in an activity input; everything else stays', () => {
  const input = { reason: 'a\u0000b', nested: [{ ['k\u0000']: '\uD800x\uDC00' }], emoji: '😀', n: 3, none: null, tab: 'a\tb\nc' };
  expect(storable(input)).toEqual({ reason: 'a\uFFFDb', nested: [{ ['k\uFFFD']: '\uFFFDx\uFFFD' }], emoji: '😀', n: 3, none: null, tab: 'a\tb\nc' });
  expect(storable('plain')).toBe('plain');
});
