/**
 * The one error type of bosun. A BosunError carries a stable `code` that every entry point maps
 * exactly once (CLI exit status, HTTP status, MCP tool error), a message a person can act on, and
 * details that survive serialization.
 */

export const ERROR_CODES = [
  'invalid_input',
  'invalid_json',
  'not_found',
  'conflict',
  'invalid_transition',
  'cycle',
  'budget_exceeded',
  'policy_denied',
  'unavailable',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface BosunErrorOptions {
  readonly details?: Readonly<Record<string, unknown>>;
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

export class BosunError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: BosunErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BosunError';
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? false;
  }

  toJSON(): { code: ErrorCode; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isBosunError(value: unknown): value is BosunError {
  return value instanceof BosunError;
}

/** Wraps anything thrown into a BosunError; an unknown failure is ours (`internal`), never the caller's. */
export function toBosunError(error: unknown): BosunError {
  if (error instanceof BosunError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BosunError('internal', message, { cause: error });
}

export function notFound(kind: string, key: string): BosunError {
  return new BosunError('not_found', `${kind} '${key}' does not exist`, {
    details: { kind, key },
  });
}

export function invalidInput(field: string, rule: string): BosunError {
  return new BosunError('invalid_input', `${field}: ${rule}`, { details: { field, rule } });
}
