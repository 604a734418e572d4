/**
 * How a runner says a step attempt failed. Like a Temporal failure it has a `kind`, whether a retry
 * could help, and the tail of the output, and it survives serialization into the journal (the next
 * attempt receives it as `previous_attempts`).
 */

export const FAILURE_KINDS = ['error', 'timeout', 'cancelled', 'lost', 'rejected'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface StepFailureData {
  readonly kind: FailureKind;
  readonly message: string;
  readonly retryable: boolean;
  /** The last lines of what the step printed (at most ~4 KB). */
  readonly outputTail: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /**
   * What the failed attempt spent and left behind, when it got that far: an agent that fails
   * after ten model calls still cost money, and its conversation can be resumed.
   */
  readonly spent?: StepFailureSpend | undefined;
}

export interface StepFailureSpend {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens?: number | undefined;
  readonly costUsd: number;
  readonly calls?: readonly {
    readonly model: string;
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly cachedInputTokens: number;
    readonly costUsd: number;
    readonly latencyMs: number;
  }[];
  readonly session?: string | undefined;
}

export class StepFailure extends Error {
  readonly kind: FailureKind;
  readonly retryable: boolean;
  readonly outputTail: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly spent: StepFailureSpend | undefined;

  constructor(data: StepFailureData) {
    super(data.message);
    this.name = 'StepFailure';
    this.kind = data.kind;
    this.retryable = data.retryable;
    this.outputTail = data.outputTail;
    this.details = data.details ?? {};
    this.spent = data.spent;
  }

  toJSON(): StepFailureData {
    return {
      kind: this.kind,
      message: this.message,
      retryable: this.retryable,
      outputTail: this.outputTail,
      details: this.details,
      ...(this.spent ? { spent: this.spent } : {}),
    };
  }

  /** Anything a runner threw, as a StepFailure (an unexpected throw is a retryable error). */
  static from(error: unknown): StepFailure {
    if (error instanceof StepFailure) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new StepFailure({ kind: 'error', message, retryable: true, outputTail: '' });
  }
}

/** Keeps the last `maxBytes` of a text (whole lines where possible) for failure reports. */
export function tail(text: string, maxBytes = 4096): string {
  if (text.length <= maxBytes) return text;
  const cut = text.slice(text.length - maxBytes);
  const newline = cut.indexOf('\n');
  return newline >= 0 && newline < cut.length - 1 ? cut.slice(newline + 1) : cut;
}

/**
 * Why an aborted attempt stopped, as the failure its runner rejects with. The engine aborts with
 * `signal.reason` set to a StepFailure saying why (kind 'cancelled', 'timeout' or 'lost'), and a
 * runner hands that same failure back so the journal records the engine's reason, not the
 * runner's guess. Any other reason (a bare `controller.abort()`) counts as a cancel, except a
 * `TimeoutError` (what `AbortSignal.timeout()` uses), which counts as a timeout.
 */
export function abortFailure(signal: AbortSignal): StepFailure {
  const reason: unknown = signal.reason;
  if (reason instanceof StepFailure) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new StepFailure({
      kind: 'timeout',
      message: 'step attempt timed out',
      retryable: true,
      outputTail: '',
    });
  }
  return new StepFailure({
    kind: 'cancelled',
    message: 'step attempt was cancelled',
    retryable: false,
    outputTail: '',
  });
}

/**
 * A step's `with:` settings that its runner cannot use. Never retryable: the same settings fail
 * the same way on every attempt. The message names the key as the workflow file spells it.
 */
export function invalidSettingsFailure(runner: string, field: string, rule: string): StepFailure {
  return new StepFailure({
    kind: 'error',
    message: `${runner} runner: with.${field}: ${rule}`,
    retryable: false,
    outputTail: '',
    details: { field, rule },
  });
}
