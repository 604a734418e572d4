/** One JSON line per benchmark result, so runs can be collected and compared by machines. */

export interface BenchResult {
  readonly bench: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: number;
  /** Whether the value must stay at or below the target (default) or reach at least it. */
  readonly better?: 'lower' | 'higher';
  readonly [extra: string]: unknown;
}

export function report(result: BenchResult): void {
  const pass =
    result.target === undefined
      ? undefined
      : result.better === 'higher'
        ? result.value >= result.target
        : result.value <= result.target;
  process.stdout.write(
    `${JSON.stringify({ ...result, ...(pass === undefined ? {} : { pass }) })}\n`,
  );
}

export function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

export function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
