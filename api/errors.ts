import type { ErrorRequestHandler } from 'express';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
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
export class TooManyRequestsError extends ApiError {
  constructor(message: string) { super(429, 'TooManyRequestsError', message); }
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

/** The one place errors become HTTP answers: `{error: {code, message, details?}}`, never a stack trace. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let apiError = err instanceof ApiError ? err : fromTemporal(err);
    if (!apiError && (err as { type?: string }).type === 'entity.parse.failed') {
      apiError = new BadRequestError(`the body is not valid JSON: ${(err as Error).message}`);
    }
    if (!apiError && (err as { type?: string }).type === 'entity.too.large') {
      apiError = new ApiError(413, 'PayloadTooLargeError', 'the body is too large');
    }
    if (!apiError) {
      log.error({ err, method: req.method, path: req.path }, 'unhandled error');
      apiError = new ApiError(500, 'InternalError', 'something went wrong on our side; the request may be retried');
    }
    res.status(apiError.status).json({
      error: { code: apiError.code, message: apiError.message, ...(apiError.details ? { details: apiError.details } : {}) },
    });
  };
}
