/** Driver errors → BosunError, for both dialects, so callers never see a driver's own error type. */

import { BosunError } from '../../../shared/errors.js';

interface DriverError {
  code?: unknown;
  message?: unknown;
  constraint?: unknown;
  detail?: unknown;
}

export function mapDriverError(error: unknown): unknown {
  if (error instanceof BosunError || typeof error !== 'object' || error === null) return error;
  const { code, message, detail } = error as DriverError;
  const text = typeof message === 'string' ? message : String(error);
  switch (code) {
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY':
    case '23505':
      return new BosunError(
        'conflict',
        `already exists: ${typeof detail === 'string' ? detail : text}`,
        {
          cause: error,
        },
      );
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
    case '23503':
      return new BosunError('invalid_input', `refers to a record that does not exist: ${text}`, {
        cause: error,
      });
    case 'SQLITE_BUSY':
    case 'SQLITE_BUSY_SNAPSHOT':
    case 'SQLITE_LOCKED':
      return new BosunError('unavailable', `the workspace store is busy; try again (${text})`, {
        cause: error,
        retryable: true,
      });
    case 'SQLITE_READONLY':
    case 'SQLITE_CANTOPEN':
    case 'ECONNREFUSED':
    case '57P01':
    case '3D000':
      return new BosunError('unavailable', `the workspace store cannot be used: ${text}`, {
        cause: error,
      });
    default:
      return error;
  }
}

/** PostgreSQL deadlock or serialization failure: the transaction may simply be run again. */
export function isTransientConflict(error: unknown): boolean {
  const code = (error as DriverError | null)?.code;
  return code === '40P01' || code === '40001';
}
