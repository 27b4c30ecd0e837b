import type { ErrorRequestHandler } from 'express';
import { STATUS_CODES } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from '../lib/logger';
import { FailureTypes } from '../workflows/messages';

/** One problem with a request, located by a JSONPath into it. */
export interface ProblemDetail {
  path: string;
  message: string;
}

/** An error the API answers with a given status and code; its name equals its `code` when thrown. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: ProblemDetail[]) {
    super(message);
    this.name = code;
  }
}

export class BadRequestError extends ApiError {
  constructor(message: string, details?: ProblemDetail[]) { super(400, 'BadRequestError', message, details); }
}
export class UnauthorizedError extends ApiError {
  constructor(message = 'sign in first: Authorization: Bearer <token>') { super(401, 'UnauthorizedError', message); }
}
export class ForbiddenError extends ApiError {
  constructor(message: string) { super(403, 'ForbiddenError', message); }
}
export class NotFoundError extends ApiError {
  constructor(message: string) { super(404, 'NotFoundError', message); }
}
export class ConflictError extends ApiError {
  constructor(message: string, code = 'ConflictError') { super(409, code, message); }
}
export class ValidationError extends ApiError {
  constructor(message: string, details: ProblemDetail[]) { super(422, 'ValidationError', message, details); }
}
export class PayloadTooLargeError extends ApiError {
  constructor(message: string, details?: ProblemDetail[]) { super(413, 'PayloadTooLargeError', message, details); }
}
export class UnsupportedMediaTypeError extends ApiError {
  constructor(message: string) { super(415, 'UnsupportedMediaTypeError', message); }
}
export class ServiceUnavailableError extends ApiError {
  constructor(message: string) { super(503, 'ServiceUnavailableError', message); }
}
export class TooManyRequestsError extends ApiError {
  constructor(message: string) { super(429, 'TooManyRequestsError', message); }
}

/** Error codes of a dependency that is away or restarting (Node sockets, PostgreSQL's SQLSTATE 08/57P, knex's pool). */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', '57P01', '57P02', '57P03',
  '08000', '08001', '08003', '08004', '08006']);

/** What node-postgres says, with no code, when its connection is cut or cannot be made. */
const PG_CONNECTION_LOST = /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed/;

/**
 * A dependency that is away (PostgreSQL or Temporal down or restarting) or a dossier that did not answer in
 * time: 503, to be retried (with the same Idempotency-Key), never a 500.
 */
function fromUnavailable(err: unknown): ApiError | undefined {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new ServiceUnavailableError('the dossier did not answer in time; retry with the same Idempotency-Key');
  }
  // gRPC status codes: 1 CANCELLED, 4 DEADLINE_EXCEEDED, 14 UNAVAILABLE
  const grpcCode = ((err instanceof ServiceError ? err.cause : err) as { code?: unknown } | undefined)?.code;
  if ((err instanceof ServiceError || typeof (err as { metadata?: unknown })?.metadata === 'object') && [1, 4, 14].includes(grpcCode as number)) {
    return new ServiceUnavailableError('the workflow service is not reachable right now; retry shortly');
  }
  const code = (err as { code?: unknown })?.code;
  if ((typeof code === 'string' && UNAVAILABLE_CODES.has(code)) || (err as Error)?.name === 'KnexTimeoutError'
    || (code === undefined && PG_CONNECTION_LOST.test((err as Error)?.message ?? ''))) {
    return new ServiceUnavailableError('the database is not reachable right now; retry shortly');
  }
  return undefined;
}

/** Maps a Temporal client error to the API's answer, or undefined when it is not one we know. */
function fromTemporal(err: unknown): ApiError | undefined {
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) {
      if (cause.type === FailureTypes.taskNotOpen) return new ConflictError(cause.message, 'TaskNotOpenError');
      if (cause.type === FailureTypes.dossierEnded) return new ConflictError(cause.message, 'DossierEndedError');
      if (cause.type === FailureTypes.unknownOutcome || cause.type === FailureTypes.reasonRequired) {
        return new ValidationError(cause.message, [{ path: cause.type === FailureTypes.unknownOutcome ? '$.outcome' : '$.comment', message: cause.message }]);
      }
    }
    return new ConflictError(cause?.message ?? err.message);
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) return new ConflictError(err.message);
  if (err instanceof WorkflowNotFoundError) {
    // a finished workflow answers updates with "not found": the dossier no longer accepts work
    return new ConflictError(`the dossier ${err.workflowId} is no longer running`, 'DossierNotRunningError');
  }
  return undefined;
}

/** The code of an answer with a 4xx status that no typed error of ours names. */
const CODES: Record<number, string> = { 400: 'BadRequestError', 404: 'NotFoundError', 405: 'MethodNotAllowedError', 413: 'PayloadTooLargeError',
  414: 'UriTooLongError', 415: 'UnsupportedMediaTypeError', 431: 'HeadersTooLargeError' };

/**
 * Maps an error of express or its body parsers that carries a 4xx `status` (a parameter that does not
 * percent-decode, an unsupported charset or encoding, a body too large or cut short): the request's
 * fault, never a 500.
 */
function fromHttpError(err: unknown): ApiError | undefined {
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; expose?: unknown; message?: unknown };
  const status = Number(e?.status ?? e?.statusCode);
  if (!Number.isInteger(status) || status < 400 || status > 499) return undefined;
  if (e.type === 'entity.parse.failed') return new BadRequestError(`the body is not valid JSON: ${String(e.message)}`);
  if (err instanceof URIError) return new BadRequestError(`the URL is not percent-encoded UTF-8: ${err.message}`);
  const message = e.expose !== false && typeof e.message === 'string' && e.message ? e.message : STATUS_CODES[status] ?? 'the request is invalid';
  return new ApiError(status, CODES[status] ?? 'BadRequestError', message);
}

/** PostgreSQL's data exceptions (SQLSTATE class 22: bad syntax for a type, out of range, too long, NUL in text…). */
function isDataException(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown };
  return typeof e?.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code) && typeof e.severity === 'string';
}

/** The one place errors become HTTP answers: `{error: {code, message, details?}}`, never a stack trace. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    let apiError = err instanceof ApiError ? err : fromTemporal(err) ?? fromHttpError(err) ?? fromUnavailable(err);
    if (apiError?.status === 503) {
      log.warn({ err: (err as Error)?.message, method: req.method, path: req.path }, 'answered 503: a dependency is away');
      res.setHeader('Retry-After', '2');
    }
    let errorId: string | undefined;
    if (!apiError && isDataException(err)) {
      // the database refused a value from the request: the input boundary missed a check, which is ours to add
      log.warn({ err, method: req.method, path: req.path }, 'a value reached PostgreSQL that the input boundary should have refused');
      apiError = new BadRequestError('a value in the request is malformed or out of range');
    }
    if (!apiError) {
      errorId = randomUUID();
      log.error({ err, errorId, method: req.method, path: req.path }, 'unhandled error');
      apiError = new ApiError(500, 'InternalError',
        `an unexpected error on our side (logged as ${errorId}); this is a bug, not a problem with your request`);
    }
    res.status(apiError.status).json({
      error: { code: apiError.code, message: apiError.message, ...(apiError.details ? { details: apiError.details } : {}),
        ...(errorId ? { id: errorId } : {}) },
    });
  };
}
