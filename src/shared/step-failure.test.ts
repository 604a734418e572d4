import { describe, expect, it } from 'vitest';
import { abortFailure, invalidSettingsFailure, StepFailure } from './step-failure.js';

function abortedWith(reason?: unknown): AbortSignal {
  const controller = new AbortController();
  if (reason === undefined) controller.abort();
  else controller.abort(reason);
  return controller.signal;
}

describe('abortFailure', () => {
  it('hands back the engine’s StepFailure reason itself', () => {
    const reason = new StepFailure({
      kind: 'lost',
      message: 'worker shutting down',
      retryable: true,
      outputTail: '',
    });
    expect(abortFailure(abortedWith(reason))).toBe(reason);
  });

  it('reports a bare abort as a cancel that a retry cannot help', () => {
    expect(abortFailure(abortedWith()).toJSON()).toMatchObject({
      kind: 'cancelled',
      retryable: false,
    });
    expect(abortFailure(abortedWith('because')).kind).toBe('cancelled');
  });

  it('reports AbortSignal.timeout’s TimeoutError as a timeout', () => {
    const reason = new DOMException('The operation timed out.', 'TimeoutError');
    expect(abortFailure(abortedWith(reason)).kind).toBe('timeout');
  });
});

describe('invalidSettingsFailure', () => {
  it('names the runner and the with: key, and is never retryable', () => {
    expect(invalidSettingsFailure('shell', 'command', 'is required').toJSON()).toEqual({
      kind: 'error',
      message: 'shell runner: with.command: is required',
      retryable: false,
      outputTail: '',
      details: { field: 'command', rule: 'is required' },
    });
  });
});
