/**
 * The reasoning bank: what was tried on which kind of work and how it went. Every attempt of a
 * step given to an agent leaves one outcome — the situation (the step's role, its task's tags, a
 * size bucket) and the strategy (agent, model, runner) with its result and cost. Outcomes with
 * the same situation and strategy form a pattern; a pattern that worked at least twice, at least
 * half of the time, is proven, and the proven patterns that best match a new step's situation
 * are offered to it (docs/memory.md "Reasoning bank").
 */

export const PATTERN_OUTCOMES = ['succeeded', 'failed'] as const;
export type PatternOutcome = (typeof PATTERN_OUTCOMES)[number];

export const SIZE_BUCKETS = ['small', 'medium', 'large'] as const;
export type SizeBucket = (typeof SIZE_BUCKETS)[number];

/** What a step is like, as far as choosing who does it goes. */
export interface PatternFeatures {
  /** The step's role (`coder`, `reviewer`); null when it names an agent directly. */
  readonly role: string | null;
  /** Its task's tags, sorted; none for a step without a task. */
  readonly tags: readonly string[];
  readonly size: SizeBucket;
}

/** One attempt's outcome, as the engine records it in the step's transaction. */
export interface PatternRecord extends PatternFeatures {
  readonly id: string;
  readonly at: string;
  readonly runId: string;
  readonly stepId: string;
  readonly stepKey: string;
  readonly attempt: number;
  readonly projectId: string | null;
  readonly taskId: string | null;
  readonly agent: string;
  readonly model: string | null;
  /** How the agent worked: its runner (`llm`, `claude-code`, `shell`, …). */
  readonly runner: string;
  readonly outcome: PatternOutcome;
  /** A failure's kind (`error`, `timeout`, `budget`, …); null on success. */
  readonly failureKind: string | null;
  readonly costUsd: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** From the attempt's claim to its outcome; null when unknown. */
  readonly durationMs: number | null;
}

/** The outcomes of one situation and strategy, summed up. */
export interface PatternStats extends PatternFeatures {
  readonly agent: string;
  readonly model: string | null;
  readonly runner: string;
  readonly tries: number;
  readonly successes: number;
  readonly failures: number;
  /** successes / tries, rounded to 3 decimals. */
  readonly successRate: number;
  readonly meanCostUsd: number;
  /** Over the tries whose duration is known; null when none is. */
  readonly meanDurationMs: number | null;
  /** The newest outcome's time. */
  readonly lastSeen: string;
}

/** Hours of a task's estimate at most, per bucket. */
const ESTIMATE_HOURS = { small: 1, medium: 4 } as const;
/** Characters of a step's input (as JSON) at most, per bucket, for steps without an estimate. */
const INPUT_CHARS = { small: 2_000, medium: 10_000 } as const;

/** A proven pattern worked at least this often… */
export const PROVEN_MIN_SUCCESSES = 2;
/** …and at least this share of the time. */
export const PROVEN_MIN_RATE = 0.5;

export const Pattern = {
  /**
   * How big a piece of work is: from its task's estimate in hours (≤ 1 small, ≤ 4 medium), else
   * from the length of its input (≤ 2,000 characters small, ≤ 10,000 medium).
   */
  sizeBucket(estimate: number | null, inputChars: number): SizeBucket {
    if (estimate !== null) {
      return estimate <= ESTIMATE_HOURS.small
        ? 'small'
        : estimate <= ESTIMATE_HOURS.medium
          ? 'medium'
          : 'large';
    }
    return inputChars <= INPUT_CHARS.small
      ? 'small'
      : inputChars <= INPUT_CHARS.medium
        ? 'medium'
        : 'large';
  },

  /** Tags as a pattern keeps them: unique and sorted, so equal sets compare equal. */
  tagsOf(tags: readonly string[]): string[] {
    return [...new Set(tags)].sort();
  },

  isProven(stats: Pick<PatternStats, 'successes' | 'tries'>): boolean {
    return (
      stats.successes >= PROVEN_MIN_SUCCESSES &&
      stats.tries > 0 &&
      stats.successes / stats.tries >= PROVEN_MIN_RATE
    );
  },

  /**
   * What a pattern has in common with a situation: the role (when both have one), the size, and
   * each tag both carry. A pattern with nothing in common does not match.
   */
  featuresInCommon(stats: PatternFeatures, features: PatternFeatures): number {
    let common = 0;
    if (stats.role !== null && stats.role === features.role) common += 1;
    if (stats.size === features.size) common += 1;
    const wanted = new Set(features.tags);
    for (const tag of stats.tags) if (wanted.has(tag)) common += 1;
    return common;
  },

  /**
   * The proven patterns that best match `features`, best first: most features in common, then
   * the higher success rate, then more tries, then the newest.
   */
  bestMatches(
    candidates: readonly PatternStats[],
    features: PatternFeatures,
    limit: number,
  ): (PatternStats & { readonly featuresInCommon: number })[] {
    return candidates
      .filter((stats) => Pattern.isProven(stats))
      .map((stats) => ({ ...stats, featuresInCommon: Pattern.featuresInCommon(stats, features) }))
      .filter((stats) => stats.featuresInCommon > 0)
      .sort(
        (a, b) =>
          b.featuresInCommon - a.featuresInCommon ||
          b.successRate - a.successRate ||
          b.tries - a.tries ||
          (a.lastSeen < b.lastSeen ? 1 : a.lastSeen > b.lastSeen ? -1 : 0),
      )
      .slice(0, Math.max(0, limit));
  },

  /** One line a prompt (or a person) reads: who did this kind of work, and how it went. */
  describe(stats: PatternStats): string {
    const situation = [
      stats.role === null ? null : `role ${stats.role}`,
      stats.tags.length === 0 ? null : `tags ${stats.tags.join(', ')}`,
      `${stats.size} work`,
    ]
      .filter((part) => part !== null)
      .join(', ');
    const who = `${stats.agent}${stats.model === null ? '' : ` (${stats.model})`} on ${stats.runner}`;
    const cost = stats.meanCostUsd > 0 ? `, ~$${stats.meanCostUsd.toFixed(4)} per try` : '';
    const time =
      stats.meanDurationMs === null ? '' : `, ~${Math.round(stats.meanDurationMs / 1000)} s`;
    return `${situation}: ${who} succeeded ${stats.successes} of ${stats.tries} tries${cost}${time}`;
  },
};
