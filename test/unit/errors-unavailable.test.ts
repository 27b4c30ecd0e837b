/** A dependency away is a 503 to retry, never a 500 that calls itself our bug. */
import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { Request, Response } from 'express';
import { errorHandler } from '../../api/errors';
import { createLogger } from '../../lib/logger';

function answer(err: unknown) {
  const res = { statusCode: 0, body: undefined as unknown, headers: {} as Record<string, string>, headersSent: false,
    status(code: number) { this.statusCode = code; return this; }, json(body: unknown) { this.body = body; return this; },
    setHeader(name: string, value: string) { this.headers[name.toLowerCase()] = value; } };
  errorHandler(createLogger('silent'))(err, { method: 'POST', path: '/api/x' } as Request, res as unknown as Response, () => undefined);
  return res;
}

test.each([
  ['PostgreSQL refusing connections', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:54329'), { code: 'ECONNREFUSED' })],
  ['PostgreSQL shutting down', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' })],
  ["knex's pool timing out", Object.assign(new Error('Knex: Timeout acquiring a connection'), { name: 'KnexTimeoutError' })],
  ['Temporal unreachable', new ServiceError('Failed to start workflow', { cause: Object.assign(new Error('14 UNAVAILABLE'), { code: 14, metadata: {} }) })],
  ['a dossier not answering in time', new WorkflowUpdateRPCTimeoutOrCancelledError('timeout', { cause: new Error('4 DEADLINE_EXCEEDED') })],
])('%s: 503 with Retry-After', (_what, err) => {
  const res = answer(err);
  expect(res.statusCode).toBe(503);
  expect(res.headers['retry-after']).toBe('2');
  expect(res.body).toMatchObject({ error: { code: 'ServiceUnavailableError' } });
});

test('anything else unknown is our bug: 500 with the id it is logged under, and no invitation to retry', () => {
  const res = answer(new Error('oops'));
  expect(res.statusCode).toBe(500);
  expect(JSON.stringify(res.body)).toMatch(/this is a bug/);
});
