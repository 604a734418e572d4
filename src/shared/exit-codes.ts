/** The one mapping from error codes to exit statuses; scripts may rely on these numbers. */

import type { ErrorCode } from './errors.js';

export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  internal: 1,
  invalid_input: 2,
  invalid_json: 3,
  not_found: 4,
  conflict: 5,
  invalid_transition: 6,
  cycle: 7,
  budget_exceeded: 8,
  policy_denied: 9,
  unavailable: 10,
};

/** Exit status of a run driven in the foreground that ended failed or cancelled. */
export const RUN_FAILED_EXIT = 11;

/** Exit status of a check whose output says `ok: false` (`bosun models check`). */
export const CHECK_FAILED_EXIT = 12;
