/**
 * Validation of a step's `with:` settings, shared by every runner: the first problem becomes a
 * non-retryable StepFailure naming the key, and a misspelt key is named rather than the
 * required one it hides.
 */

import type { z } from 'zod';
import { invalidSettingsFailure } from './step-failure.js';

export function parseRunnerSettings<S extends z.ZodObject>(
  runner: string,
  schema: S,
  settings: unknown,
): z.output<S> {
  const result = schema.safeParse(settings, { error: plainMessages });
  if (result.success) return result.data;
  // A misspelt key also makes the right one look missing; naming the typo explains both.
  const issues = result.error.issues;
  const issue = issues.find((each) => each.code === 'unrecognized_keys') ?? issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const nested = issue.path.length > 0;
    const known = Object.keys(schema.shape).join(', ');
    throw invalidSettingsFailure(
      runner,
      [...issue.path, issue.keys[0] ?? '?'].join('.'),
      nested ? 'is not allowed here' : `is not a ${runner} runner setting (known: ${known})`,
    );
  }
  throw invalidSettingsFailure(
    runner,
    issue && issue.path.length > 0 ? issue.path.join('.') : '(settings)',
    issue?.message ?? 'invalid',
  );
}

function plainMessages(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return undefined;
}
