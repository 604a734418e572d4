/**
 * The one mapping from bosun's error codes to HTTP statuses, and the error body every refusal of
 * the HTTP API carries: `{ "error": { "code", "message", "details" } }`, `details.field` naming
 * the field at fault. `unauthorized` and `forbidden` are the guard's own codes (no operation
 * throws them); anything that is not a BosunError is ours, a 500, never the caller's fault.
 */

import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorCode } from '../shared/errors.js';
import { toBosunError } from '../shared/errors.js';

export type HttpErrorCode = ErrorCode | 'unauthorized' | 'forbidden';

export const HTTP_STATUS: Readonly<Record<HttpErrorCode, ContentfulStatusCode>> = {
  invalid_input: 400,
  invalid_json: 400,
  unauthorized: 401,
  forbidden: 403,
  policy_denied: 403,
  not_found: 404,
  conflict: 409,
  invalid_transition: 409,
  cycle: 409,
  budget_exceeded: 409,
  internal: 500,
  unavailable: 503,
};

export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details: Readonly<Record<string, unknown>>;
  };
}

export const errorBody = (
  code: string,
  message: string,
  details: Readonly<Record<string, unknown>> = {},
): ErrorBody => ({ error: { code, message, details } });

/**
 * The response for anything thrown while serving a request; `status` overrides the code's. An
 * HTTPException carries its own (the 413 of a body too large).
 */
export function errorResponse(c: Context, thrown: unknown, status?: ContentfulStatusCode) {
  if (thrown instanceof HTTPException) return thrown.getResponse();
  const error = toBosunError(thrown);
  if (error.retryable) c.header('Retry-After', '1');
  return c.json(
    errorBody(error.code, error.message, error.details),
    status ?? HTTP_STATUS[error.code],
  );
}
